-- Version 5: routine DML may be summarised from PostgreSQL's own statement statistics instead of
-- one WAL message per statement.
--
-- One message per routine DELETE/UPDATE (V3) costs the watched database a WAL record, its decoding
-- and an event through the whole pipeline, for statements nobody needs to see before they commit.
-- With dml.routine = summary, ingest asks pg_stat_statements once per interval what each role ran
-- since the last time (calls and rows per statement shape, counted by PostgreSQL per executing
-- role, which no session can write) and writes one message per changed shape. Statements the
-- guard judges, and those of at least dml.immediate.rows rows, are still emitted one by one, at
-- once, before they commit.

-- Whether routine DELETE/UPDATE statements are left to the summary. A constant function,
-- rewritten by firebreak.set_routine_capture, so that the hot path reads no table and PostgreSQL
-- folds the routine message away when it is true.
CREATE OR REPLACE FUNCTION firebreak.routine_summarized()
RETURNS boolean
LANGUAGE sql
IMMUTABLE
AS $fn$ SELECT false $fn$;

-- V3's routine message, NULL when routine statements are summarised: pg_logical_emit_message is
-- strict, so the planner reduces the whole emit to a constant and no WAL record is written.
CREATE OR REPLACE FUNCTION firebreak.routine_message(p_tag text, p_schema name, p_table name, p_rows bigint, p_context text)
RETURNS text
LANGUAGE sql
VOLATILE
AS $fn$
    SELECT CASE WHEN firebreak.routine_summarized() THEN NULL ELSE
           format('{"v":1,"kind":"dml","tag":%s,"rows":%s,"objects":[{"type":"table","schema":%s,"name":%s,"identity":%s,"original":true}],'
                  '"statement":%s,"statement_length":%s,"session_user":%s,"effective_user":%s,"role_setting":%s,"origin":%s,'
                  '"routine":%s,"backend_pid":%s,"txid":%s,"application_name":%s,"client_addr":%s,"database":%s,"clock_us":%s}',
                  to_json(p_tag), p_rows, to_json(p_schema::text), to_json(p_table::text),
                  to_json(format('%I.%I', p_schema, p_table)),
                  to_json(left(CASE WHEN strpos(lower(current_query()), 'password') > 0 THEN firebreak.redact(current_query())
                                    ELSE current_query() END, ${statement_max_chars})),
                  length(current_query()), to_json(session_user::text),
                  to_json(CASE WHEN coalesce(current_setting('role', true), 'none') = 'none' THEN session_user::text
                               ELSE current_setting('role', true) END),
                  to_json(current_setting('role', true)),
                  CASE WHEN strpos(p_context, E'\n') > 0 THEN '"routine"' ELSE '"session"' END,
                  coalesce(to_json(CASE WHEN strpos(p_context, E'\n') > 0 THEN firebreak.routine_frame(p_context) END)::text, 'null'),
                  pg_backend_pid(), coalesce(to_json(pg_current_xact_id_if_assigned()::text)::text, 'null'),
                  to_json(left(current_setting('application_name', true), 64)),
                  coalesce(to_json(host(inet_client_addr()))::text, 'null'), to_json(current_database()::text),
                  (extract(epoch FROM clock_timestamp()) * 1000000)::bigint) END
$fn$;
REVOKE ALL ON FUNCTION firebreak.routine_message(text, name, name, bigint, text) FROM PUBLIC;

-- How far each statement shape has been reported: PostgreSQL's counters as of the last summary.
-- Written in the transaction that emits the summary, so a summary and its cursor commit together
-- and a restart reports exactly what was not reported yet.
CREATE TABLE IF NOT EXISTS firebreak.statement_cursor (
    userid   oid         NOT NULL,
    queryid  bigint      NOT NULL,
    toplevel boolean     NOT NULL,
    calls    bigint      NOT NULL,
    rows     bigint      NOT NULL,
    seen_at  timestamptz NOT NULL,
    PRIMARY KEY (userid, queryid, toplevel)
);
REVOKE ALL ON firebreak.statement_cursor FROM PUBLIC;

-- Switches routine DELETE/UPDATE capture between 'statement' (one transactional message each, V3)
-- and 'summary'. Summary needs pg_stat_statements loaded (shared_preload_libraries): refused
-- otherwise, since the routine statements would then be reported nowhere. Shapes already counted
-- when summary starts are reported from now on, not with their history.
CREATE OR REPLACE FUNCTION firebreak.set_routine_capture(p_mode text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('statement', 'summary') THEN
        RAISE EXCEPTION 'routine DML capture must be statement or summary, was %', coalesce(p_mode, 'missing');
    END IF;
    PERFORM set_config('firebreak.installing', 'on', true);
    IF p_mode = 'summary' THEN
        IF NOT (SELECT bool_or(trim(l) = 'pg_stat_statements')
                  FROM unnest(string_to_array(current_setting('shared_preload_libraries'), ',')) l) THEN
            RAISE EXCEPTION 'routine DML capture "summary" needs pg_stat_statements in shared_preload_libraries (it is: "%")',
                current_setting('shared_preload_libraries');
        END IF;
        CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public;
        -- statements run inside functions and triggers are counted too, as origin routine
        EXECUTE format('ALTER DATABASE %I SET pg_stat_statements.track = %L', current_database(), 'all');
        INSERT INTO firebreak.statement_cursor (userid, queryid, toplevel, calls, rows, seen_at)
        SELECT s.userid, s.queryid, s.toplevel, s.calls, s.rows, now()
          FROM public.pg_stat_statements(false) s
         WHERE s.dbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()) AND s.queryid IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    IF firebreak.routine_summarized() IS DISTINCT FROM (p_mode = 'summary') THEN
        EXECUTE format('CREATE OR REPLACE FUNCTION firebreak.routine_summarized() RETURNS boolean LANGUAGE sql IMMUTABLE AS %L',
                       CASE WHEN p_mode = 'summary' THEN 'SELECT true' ELSE 'SELECT false' END);
    END IF;
    RETURN p_mode;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.set_routine_capture(text) FROM PUBLIC;

-- The table a DELETE/UPDATE statement shape writes, from its normalised text: what follows
-- UPDATE [ONLY] or DELETE FROM [ONLY], resolved in the catalog where it can be.
CREATE OR REPLACE FUNCTION firebreak.summary_objects(p_query text)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(
        (SELECT firebreak.table_objects(n.nspname, c.relname)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = to_regclass(m.name)),
        jsonb_build_array(jsonb_build_object('type', 'table', 'identity', left(m.name, 200), 'original', true)))
      FROM (SELECT (regexp_match(p_query, '^\s*(?:update|delete\s+from)\s+(?:only\s+)?((?:"[^"]+"|[^\s("]+)(?:\.(?:"[^"]+"|[^\s("]+))?)', 'i'))[1] AS name) m
     WHERE m.name IS NOT NULL
$fn$;

-- Writes one summary message per DELETE/UPDATE statement shape of this database whose rows grew
-- since the last summary, and moves the cursor; returns how many it wrote. Counters that went
-- backwards were reset (pg_stat_statements_reset, or the shape was evicted): what they hold now
-- is reported whole and the message says so. Messages are transactional: they reach the audit
-- topic exactly when the cursor moves.
CREATE OR REPLACE FUNCTION firebreak.summarize_routine_dml(p_limit integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    s record;
    written integer := 0;
    since timestamptz;
    who text;
BEGIN
    IF NOT firebreak.routine_summarized() THEN
        RETURN 0;
    END IF;
    FOR s IN
        SELECT p.userid, p.queryid, p.toplevel, p.calls, p.rows, p.query,
               c.calls AS was_calls, c.rows AS was_rows, c.seen_at,
               (c.calls IS NOT NULL AND (p.calls < c.calls OR p.rows < c.rows)) AS was_reset
          FROM public.pg_stat_statements(true) p
          LEFT JOIN firebreak.statement_cursor c
                 ON c.userid = p.userid AND c.queryid = p.queryid AND c.toplevel = p.toplevel
         WHERE p.dbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
           AND p.queryid IS NOT NULL
           AND p.query ~* '^\s*(update|delete)\s'
           AND p.rows > coalesce(CASE WHEN p.calls < c.calls OR p.rows < c.rows THEN 0 ELSE c.rows END, 0)
         ORDER BY p.userid, p.queryid
         LIMIT p_limit
    LOOP
        since := coalesce(s.seen_at, now());
        who := coalesce((SELECT r.rolname FROM pg_roles r WHERE r.oid = s.userid)::text, s.userid::text);
        PERFORM pg_catalog.pg_logical_emit_message(true, '${message_prefix}', jsonb_build_object(
            'v', 1, 'kind', 'dml_summary', 'tag', 'DML SUMMARY',
            'summary_of', upper((regexp_match(s.query, '^\s*(\w+)'))[1]),
            'rows', s.rows - CASE WHEN s.was_reset THEN 0 ELSE coalesce(s.was_rows, 0) END,
            'calls', (s.calls - CASE WHEN s.was_reset THEN 0 ELSE coalesce(s.was_calls, 0) END)::text,
            'counters_reset', CASE WHEN s.was_reset THEN 'true' END,
            'summary_since_us', ((extract(epoch FROM since) * 1000000)::bigint)::text,
            'objects', coalesce(firebreak.summary_objects(s.query), '[]'::jsonb),
            'statement', left(s.query, ${statement_max_chars}),
            'statement_length', length(s.query),
            'session_user', who,
            'effective_user', who,
            'origin', CASE WHEN s.toplevel THEN 'summary' ELSE 'routine' END,
            'database', current_database(),
            'clock_us', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)::text);
        INSERT INTO firebreak.statement_cursor AS c (userid, queryid, toplevel, calls, rows, seen_at)
        VALUES (s.userid, s.queryid, s.toplevel, s.calls, s.rows, now())
        ON CONFLICT (userid, queryid, toplevel)
        DO UPDATE SET calls = excluded.calls, rows = excluded.rows, seen_at = excluded.seen_at;
        written := written + 1;
    END LOOP;
    RETURN written;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.summarize_routine_dml(integer) FROM PUBLIC;

INSERT INTO firebreak.schema_version (version, description)
VALUES (5, 'routine DML summarised from pg_stat_statements (dml.routine = summary)')
ON CONFLICT (version) DO NOTHING;
