-- Firebreak, version 3: capture that nobody can forge or blind, and the in-database guard.
-- Every statement is idempotent: the installer may run it again on an installed database.
-- ${statement_max_chars} and ${message_prefix} are filled in by TriggerInstaller.
--
-- Trust. Until version 2 every role could call firebreak.emit with a body of its choosing, so any
-- role could frame any other (a planted trigger emitting a made-up DROP in the victim's session).
-- From here on only Firebreak's own trigger functions emit. They are SECURITY DEFINER, owned by
-- the installing role, and nobody else may execute them or firebreak.emit: PostgreSQL itself
-- calls a trigger function, without checking EXECUTE at fire time, so the only way to produce an
-- audit message is to make PostgreSQL fire one of our triggers. Every fact in a message comes
-- from PostgreSQL (pg_event_trigger_*, transition tables, TG_*, session_user, the call stack);
-- the statement text is the client's and is only ever shown, never counted.
--
-- Guard. The same functions judge the statement that fired them against the guard rules compiled
-- into firebreak.guard_rule and refuse it (SQLSTATE FB001, or FB002 for a locked role, FB003 for
-- tampering) so that it rolls back. The refusal is emitted first, non-transactionally: it
-- survives the rollback and reaches Kafka as an event with guard_outcome = blocked. Nothing here
-- waits on Kafka or on the pipeline.

-- Relations a guard counts: what holds data. Views, sequences and indexes only repeat a table.
CREATE OR REPLACE FUNCTION firebreak.relation_types()
RETURNS text[]
LANGUAGE sql
IMMUTABLE
AS $fn$ SELECT ARRAY['table', 'materialized view', 'foreign table'] $fn$;

-- Guard rules compiled from the YAML rules by the installer; replaced as a whole on every
-- policy update (one transaction), read by the trigger functions below.
CREATE TABLE IF NOT EXISTS firebreak.guard_rule (
    id        text PRIMARY KEY,
    kind      text NOT NULL CHECK (kind IN ('statement_drops', 'truncate', 'row_change', 'column_drop', 'drop_rate')),
    mode      text NOT NULL CHECK (mode IN ('enforce', 'shadow')),
    threshold bigint NOT NULL CHECK (threshold >= 1),
    min_rows  bigint NOT NULL DEFAULT 0 CHECK (min_rows >= 0),
    fraction  double precision CHECK (fraction > 0 AND fraction <= 1),
    window_ms bigint CHECK (window_ms >= 1)
);
REVOKE ALL ON firebreak.guard_rule FROM PUBLIC;

-- Exceptions as the YAML states them, with the principal and application globs already turned
-- into LIKE patterns over the principal (pg:<cluster>/<role>) and application_name.
CREATE TABLE IF NOT EXISTS firebreak.guard_exception (
    rule                text NOT NULL,
    principal_pattern   text NOT NULL,
    application_pattern text,
    valid_from          timestamptz,
    valid_until         timestamptz,
    expires             timestamptz NOT NULL,
    reason              text NOT NULL
);
REVOKE ALL ON firebreak.guard_exception FROM PUBLIC;

-- Recent destructive statements per principal for the drop_rate rules: one row per role, locked
-- by the statement that updates it, so that the principal's sessions are counted together and
-- at most the threshold gets through, whatever the number of sessions.
CREATE TABLE IF NOT EXISTS firebreak.guard_rate (
    rolname name PRIMARY KEY,
    stamps  timestamptz[] NOT NULL
);
REVOKE ALL ON firebreak.guard_rate FROM PUBLIC;

-- Tables a multi-table TRUNCATE has reached so far, per backend and statement: TRUNCATE fires
-- one trigger per table, and the count must not live anywhere a user trigger could reset it.
CREATE UNLOGGED TABLE IF NOT EXISTS firebreak.guard_truncate (
    pid       integer PRIMARY KEY,
    statement timestamptz NOT NULL,
    tables    integer NOT NULL
);
REVOKE ALL ON firebreak.guard_truncate FROM PUBLIC;

-- The small helpers below carry no SET clause so that PostgreSQL inlines them into the trigger
-- functions' queries (a SET clause forbids inlining); every caller is SECURITY DEFINER with a fixed
-- search_path, and pg_catalog is searched first anyway.
CREATE OR REPLACE FUNCTION firebreak.setting_value(p_name text, p_default text)
RETURNS text
LANGUAGE sql
STABLE
AS $fn$ SELECT coalesce((SELECT s.value FROM firebreak.setting s WHERE s.name = p_name), p_default) $fn$;

CREATE OR REPLACE FUNCTION firebreak.is_superuser(p_role name)
RETURNS boolean
LANGUAGE sql
STABLE
AS $fn$ SELECT coalesce((SELECT r.rolsuper FROM pg_authid r WHERE r.rolname = p_role), false) $fn$;

-- The installer's own trigger changes are not reported: it marks its transaction, and only a
-- superuser's mark counts (anyone can set a custom setting).
CREATE OR REPLACE FUNCTION firebreak.installing()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(current_setting('firebreak.installing', true), '') = 'on'
       AND firebreak.is_superuser(session_user)
$fn$;

-- Whether the guard applies to this session. A superuser can switch off any control, so it can
-- never be guarded (the installer warns about every superuser login role at start-up). Scope:
-- 'all' (every other role), 'members_of:<role>', or 'none'.
CREATE OR REPLACE FUNCTION firebreak.guarded()
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    scope text := firebreak.setting_value('guard.scope', 'none');
BEGIN
    IF scope = 'none' OR firebreak.is_superuser(session_user) THEN
        RETURN false;
    ELSIF scope = 'all' THEN
        RETURN true;
    ELSIF scope LIKE 'members\_of:%' THEN
        RETURN to_regrole(quote_ident(substr(scope, 12))) IS NOT NULL
           AND pg_has_role(session_user, quote_ident(substr(scope, 12)), 'MEMBER');
    END IF;
    RETURN false;
END;
$fn$;

CREATE OR REPLACE FUNCTION firebreak.guard_excepted(p_rule text)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT EXISTS (
        SELECT 1 FROM firebreak.guard_exception e
         WHERE (e.rule = '*' OR e.rule = p_rule)
           AND ('pg:' || firebreak.setting_value('cluster', '') || '/' || session_user) LIKE e.principal_pattern
           AND (e.application_pattern IS NULL
                OR coalesce(current_setting('application_name', true), '') LIKE e.application_pattern)
           AND (e.valid_from IS NULL OR clock_timestamp() >= e.valid_from)
           AND (e.valid_until IS NULL OR clock_timestamp() < e.valid_until)
           AND clock_timestamp() < e.expires)
$fn$;

-- The guard rules of one kind that apply to this session now.
CREATE OR REPLACE FUNCTION firebreak.guard_rules(p_kind text)
RETURNS SETOF firebreak.guard_rule
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT g.* FROM firebreak.guard_rule g
     WHERE g.kind = p_kind AND firebreak.guarded() AND NOT firebreak.guard_excepted(g.id)
     ORDER BY g.mode, g.id
$fn$;

-- A role that may no longer log in but still has a session has been revoked: the kill switch
-- sets NOLOGIN before it terminates sessions, so from that moment the guard refuses the role's
-- destructive statements in every session still open. Superusers are never judged.
CREATE OR REPLACE FUNCTION firebreak.locked()
RETURNS boolean
LANGUAGE sql
STABLE
AS $fn$
    SELECT coalesce((SELECT NOT r.rolcanlogin AND NOT r.rolsuper FROM pg_authid r WHERE r.rolname = session_user), false)
$fn$;

-- Where the statement came from, from PostgreSQL's own call stack: 'session' when the client sent
-- it (a DO block is the client's code too), 'routine' when a function, trigger or default
-- expression ran it. Only routine frames are printed as "... function ..."; statement text cannot
-- add frames, so a planted routine cannot pass as the session.
CREATE OR REPLACE FUNCTION firebreak.routine_frame(p_context text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT left(f, 200)
      FROM unnest(string_to_array(p_context, E'\n')) WITH ORDINALITY AS c(f, n)
     WHERE (f ~ '^PL/\w+ function ' OR f ~ '^SQL function ')
       AND f !~ '^PL/pgSQL function firebreak\.'
       AND f !~ '^PL/pgSQL function inline_code_block '
     ORDER BY n
     LIMIT 1
$fn$;

-- Passwords never leave the database: PASSWORD '...' of CREATE/ALTER ROLE and the password
-- options of user mappings and servers are replaced before the text is emitted.
CREATE OR REPLACE FUNCTION firebreak.redact(p_statement text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE WHEN p_statement !~* 'password' THEN p_statement
                ELSE regexp_replace(p_statement,
                         '(password\s*=?\s*)(E?''(?:[^''\\]|''''|\\.)*''|\$([A-Za-z_]*)\$.*?\$\3\$)',
                         '\1''<redacted>''', 'gi')
           END
$fn$;

-- Emits one audit message. Everything about the session is computed here; the body carries only
-- what the calling trigger function learnt from PostgreSQL. immediate: flushed and
-- non-transactional, so decoding sees it before the statement commits and after a rollback;
-- otherwise transactional, seen at commit (and never, if the transaction rolls back).
--
-- Neither SECURITY DEFINER nor SET: only Firebreak's SECURITY DEFINER trigger functions may call
-- it (EXECUTE is revoked from everyone else), and they already run as its owner with a fixed
-- search_path; a second switch of user and settings per statement cost measurable throughput.
CREATE OR REPLACE FUNCTION firebreak.emit(p_kind text, p_body jsonb, p_immediate boolean, p_context text)
RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
    q text := current_query();
    -- one line is this trigger function alone: the client sent the statement
    frame text := CASE WHEN strpos(p_context, E'\n') > 0 THEN firebreak.routine_frame(p_context) END;
    role_setting text := current_setting('role', true);
BEGIN
    PERFORM pg_catalog.pg_logical_emit_message(NOT p_immediate, '${message_prefix}',
        (p_body || jsonb_build_object(
            'v', 1,
            'kind', p_kind,
            'statement', left(CASE WHEN strpos(lower(q), 'password') > 0 THEN firebreak.redact(q) ELSE q END,
                              ${statement_max_chars}),
            'statement_length', length(q),
            'session_user', session_user::text,
            'effective_user', CASE WHEN role_setting IS NULL OR role_setting = 'none' THEN session_user::text ELSE role_setting END,
            'role_setting', role_setting,
            'origin', CASE WHEN frame IS NULL THEN 'session' ELSE 'routine' END,
            'routine', frame,
            'backend_pid', pg_backend_pid(),
            'txid', pg_current_xact_id_if_assigned()::text,
            'application_name', left(current_setting('application_name', true), 64),
            'client_addr', host(inet_client_addr()),
            'database', current_database(),
            'clock_us', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
        ))::text,
        p_immediate);
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.emit(text, jsonb, boolean, text) FROM PUBLIC;

-- The verdict of the guard on one statement, emitted with it: outcome 'allowed' (no rule
-- applied), 'blocked' or 'shadow' (a shadow rule would have blocked).
CREATE OR REPLACE FUNCTION firebreak.verdict(p_rule text, p_mode text, p_reason text)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
AS $fn$
    SELECT CASE WHEN p_rule IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('guard_outcome', CASE p_mode WHEN 'enforce' THEN 'blocked' ELSE 'shadow' END,
                                        'guard_rule', p_rule, 'guard_reason', p_reason) END
$fn$;

-- Emits the statement's event with the guard's verdict, then refuses the statement when the
-- verdict is to block. The message is immediate, so the refusal survives the rollback it causes.
CREATE OR REPLACE FUNCTION firebreak.judge(p_kind text, p_body jsonb, p_rule text, p_mode text, p_reason text,
                                           p_sqlstate text, p_immediate boolean, p_context text)
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM firebreak.emit(p_kind, p_body || firebreak.verdict(p_rule, p_mode, p_reason),
                           p_immediate OR p_rule IS NOT NULL, p_context);
    IF p_rule IS NOT NULL AND p_mode = 'enforce' THEN
        RAISE EXCEPTION USING ERRCODE = p_sqlstate,
            MESSAGE = format('firebreak guard: %s refused by rule %s: %s', session_user, p_rule, p_reason),
            HINT = 'An operator can add an exception with an expiry to the Firebreak rules (exceptions.yaml).';
    END IF;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.judge(text, jsonb, text, text, text, text, boolean, text) FROM PUBLIC;

-- Counts p_amount relations against the principal's drop_rate rules; returns the first rule
-- broken (enforcing rules first) and leaves the principal's stamps updated unless it blocks.
CREATE OR REPLACE FUNCTION firebreak.judge_rate(p_amount integer, OUT rule text, OUT mode text, OUT reason text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    g firebreak.guard_rule;
    prior timestamptz[];
    now_ts timestamptz := clock_timestamp();
    recent integer;
    longest bigint := 0;
    keep bigint := 0;
BEGIN
    IF p_amount <= 0 OR NOT EXISTS (SELECT 1 FROM firebreak.guard_rules('drop_rate')) THEN
        RETURN;
    END IF;
    INSERT INTO firebreak.guard_rate AS r (rolname, stamps) VALUES (session_user, '{}')
    ON CONFLICT (rolname) DO UPDATE SET stamps = r.stamps
    RETURNING r.stamps INTO prior;
    FOR g IN SELECT * FROM firebreak.guard_rules('drop_rate') LOOP
        SELECT count(*) INTO recent FROM unnest(prior) s WHERE s > now_ts - make_interval(secs => g.window_ms / 1000.0);
        IF recent + p_amount > g.threshold AND rule IS NULL THEN
            rule := g.id;
            mode := g.mode;
            reason := format('%s relation(s) dropped within %s ms, at most %s allowed; this statement drops %s',
                             recent, g.window_ms, g.threshold, p_amount);
        END IF;
        longest := greatest(longest, g.window_ms);
        keep := greatest(keep, g.threshold + 1);
    END LOOP;
    IF rule IS NULL OR mode <> 'enforce' THEN
        -- Only what any window can still see is kept, and never more than the largest threshold.
        UPDATE firebreak.guard_rate SET stamps = (
            SELECT coalesce(array_agg(s ORDER BY s), '{}') FROM (
                SELECT s FROM (SELECT unnest(prior) AS s
                               UNION ALL SELECT now_ts FROM generate_series(1, least(p_amount, keep)::integer)) a
                 WHERE s > now_ts - make_interval(secs => longest / 1000.0)
                 ORDER BY s DESC LIMIT keep) k)
         WHERE rolname = session_user;
    END IF;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.judge_rate(integer) FROM PUBLIC;

-- At least p_limit rows in the relation? Counting stops at p_limit, so a guard decision on a
-- big table costs at most that many rows read.
CREATE OR REPLACE FUNCTION firebreak.holds_at_least(p_table regclass, p_limit bigint)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n bigint;
BEGIN
    IF p_limit <= 0 THEN
        RETURN 0;
    END IF;
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %s) s', p_table, p_limit) INTO n;
    RETURN n;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.holds_at_least(regclass, bigint) FROM PUBLIC;

-- Watched tables whose Firebreak triggers a command disabled, replaced, renamed or moved out of
-- watch: a table with any trigger of ours that is not exactly as the installer made it, or that
-- the scope no longer wants.
CREATE OR REPLACE FUNCTION firebreak.tampered(p_table oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT named > 0 AND (own < 3 OR NOT firebreak.dml_wanted(p_table))
      FROM (SELECT (SELECT count(*) FROM pg_trigger t JOIN firebreak.audit_triggers() a ON a.name = t.tgname
                     WHERE t.tgrelid = p_table) AS named,
                   (SELECT count(*) FROM pg_trigger t
                     WHERE t.tgrelid = p_table AND firebreak.is_own_trigger(t.oid)) AS own) c
$fn$;

CREATE OR REPLACE FUNCTION firebreak.on_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
    objs jsonb;
    total integer;
    relations integer;
    columns integer;
    column_rows bigint := 0;
    own_triggers integer;
    max_objects integer := firebreak.setting_value('objects.max', '100')::integer;
    g firebreak.guard_rule;
    rule text;
    mode text;
    reason text;
    sqlstate text := 'FB001';
BEGIN
    IF firebreak.installing() THEN
        RETURN;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    -- Implicit parts (row types, toast tables, indexes of a dropped table) only repeat their
    -- table and are left out of the list; partitions and CASCADE victims are listed and counted.
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'type', d.object_type, 'schema', d.schema_name, 'name', d.object_name,
               'identity', left(d.object_identity, 512), 'original', d.original)) FILTER (WHERE d.n <= max_objects), '[]'::jsonb),
           count(*),
           count(*) FILTER (WHERE d.object_type = ANY (firebreak.relation_types())),
           count(*) FILTER (WHERE d.object_type = 'table column'),
           count(*) FILTER (WHERE d.object_type = 'trigger' AND d.original
                              AND d.address_names[array_upper(d.address_names, 1)] IN (SELECT a.name FROM firebreak.audit_triggers() a))
      INTO objs, total, relations, columns, own_triggers
      FROM (SELECT o.*, row_number() OVER () AS n
              FROM pg_event_trigger_dropped_objects() o
             WHERE o.original OR o.normal OR o.object_type = ANY (firebreak.relation_types())) d;
    IF own_triggers > 0 AND NOT firebreak.is_superuser(session_user) THEN
        rule := 'firebreak-tamper';
        mode := 'enforce';
        reason := 'dropping Firebreak''s audit triggers';
        sqlstate := 'FB003';
    ELSIF firebreak.locked() AND total > 0 THEN
        rule := 'firebreak-locked';
        mode := 'enforce';
        reason := 'the role has been revoked';
        sqlstate := 'FB002';
    ELSE
        FOR g IN SELECT * FROM firebreak.guard_rules('statement_drops') LOOP
            IF relations >= g.threshold THEN
                rule := g.id; mode := g.mode;
                reason := format('one statement drops %s relation(s), limit %s', relations, g.threshold);
                EXIT WHEN mode = 'enforce';
            END IF;
        END LOOP;
        IF rule IS NULL OR mode <> 'enforce' THEN
            FOR g IN SELECT * FROM firebreak.guard_rules('column_drop') LOOP
                IF columns >= g.threshold THEN
                    -- the dropped column's table is still there: how much data it held decides
                    SELECT coalesce(max(firebreak.holds_at_least(c.oid, g.min_rows)), 0) INTO column_rows
                      FROM pg_event_trigger_dropped_objects() d
                      JOIN pg_class c ON c.oid = d.objid
                     WHERE d.object_type = 'table column';
                    IF column_rows >= g.min_rows THEN
                        rule := g.id; mode := g.mode;
                        reason := format('drops %s column(s) of a table holding at least %s rows', columns, g.min_rows);
                        EXIT WHEN mode = 'enforce';
                    END IF;
                END IF;
            END LOOP;
        END IF;
        IF rule IS NULL OR mode <> 'enforce' THEN
            DECLARE
                r record;
            BEGIN
                SELECT * INTO r FROM firebreak.judge_rate(relations);
                IF r.rule IS NOT NULL AND (rule IS NULL OR r.mode = 'enforce') THEN
                    rule := r.rule; mode := r.mode; reason := r.reason;
                END IF;
            END;
        END IF;
    END IF;
    PERFORM firebreak.judge('sql_drop', jsonb_build_object('tag', tg_tag, 'objects', objs, 'objects_total', total),
                            rule, mode, reason, sqlstate, true, ctx);
END;
$fn$;

-- Every DDL command: a revoked role is refused before the command runs.
CREATE OR REPLACE FUNCTION firebreak.on_ddl_command_start()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
BEGIN
    IF firebreak.locked() AND NOT firebreak.installing() THEN
        GET DIAGNOSTICS ctx = PG_CONTEXT;
        PERFORM firebreak.judge('ddl_command_start', jsonb_build_object('tag', tg_tag, 'objects', '[]'::jsonb),
                                'firebreak-locked', 'enforce', 'the role has been revoked', 'FB002', true, ctx);
    END IF;
END;
$fn$;

-- Reports every command, watches the tables it creates, and refuses (for non-superusers) or
-- reports as tampering any command that leaves a watched table's triggers not as installed.
CREATE OR REPLACE FUNCTION firebreak.on_ddl_command_end()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
    objs jsonb;
    own_triggers_only boolean;
    tampered text;
    created oid;
    max_objects integer := firebreak.setting_value('objects.max', '100')::integer;
    total integer;
BEGIN
    IF firebreak.installing() THEN
        RETURN;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'type', object_type, 'schema', schema_name, 'identity', left(object_identity, 512),
               'original', true)) FILTER (WHERE n <= max_objects), '[]'::jsonb),
           count(*),
           bool_and(object_type = 'trigger' AND firebreak.is_own_trigger(objid))
      INTO objs, total, own_triggers_only
      FROM (SELECT c.*, row_number() OVER () AS n FROM pg_event_trigger_ddl_commands() c) d;
    -- Our own CREATE TRIGGERs (below, and in watch_table) fire this trigger again; they are not news.
    IF tg_tag = 'CREATE TRIGGER' AND own_triggers_only THEN
        RETURN;
    END IF;
    SELECT string_agg(DISTINCT rel::regclass::text, ', ') INTO tampered
      FROM (SELECT CASE WHEN c.object_type = 'trigger' THEN t.tgrelid ELSE c.objid END AS rel
              FROM pg_event_trigger_ddl_commands() c
              LEFT JOIN pg_trigger t ON c.object_type = 'trigger' AND t.oid = c.objid
             WHERE c.command_tag IN ('ALTER TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER')
               AND c.object_type IN ('table', 'trigger')) x
     WHERE rel IS NOT NULL AND firebreak.tampered(rel);
    IF tampered IS NOT NULL THEN
        PERFORM firebreak.judge('ddl_command_end', jsonb_build_object('tag', tg_tag, 'objects', objs, 'objects_total', total,
                                                                       'tamper', true),
                                'firebreak-tamper', CASE WHEN firebreak.is_superuser(session_user) THEN 'shadow' ELSE 'enforce' END,
                                format('takes Firebreak''s audit triggers off %s', tampered), 'FB003', true, ctx);
        RETURN;
    END IF;
    -- A DROP is reported once, by on_sql_drop; here it would only repeat it without its objects.
    IF tg_tag NOT LIKE 'DROP %' THEN
        PERFORM firebreak.emit('ddl_command_end', jsonb_build_object('tag', tg_tag, 'objects', objs, 'objects_total', total),
                               true, ctx);
    END IF;
    FOR created IN SELECT objid FROM pg_event_trigger_ddl_commands()
                    WHERE command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')
                      AND object_type = 'table' AND NOT in_extension LOOP
        IF firebreak.dml_wanted(created) THEN
            BEGIN
                PERFORM firebreak.watch_table(created::regclass);
            EXCEPTION WHEN OTHERS THEN
                -- Never fail the user's CREATE TABLE over auditing; the installer's next run
                -- (firebreak.watch_plan) picks the table up again.
                RAISE WARNING 'firebreak: no DML capture on %: %', created::regclass, SQLERRM;
            END;
        END IF;
    END LOOP;
END;
$fn$;

-- The objects list of a table trigger's event: the one table it fired on.
CREATE OR REPLACE FUNCTION firebreak.table_objects(p_schema name, p_table name)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
AS $fn$
    SELECT jsonb_build_array(jsonb_build_object('type', 'table', 'schema', p_schema, 'name', p_table,
                                                'identity', format('%I.%I', p_schema, p_table), 'original', true))
$fn$;

-- Rows this backend updated in the table since its statistics were last flushed, partitions of a
-- partitioned table included: PostgreSQL's own counters, kept per backend until the periodic flush
-- resets them. UPDATE uses them instead of a transition table, whose capture of every old row
-- halved pgbench's throughput even for one-row statements (DELETE keeps its exact transition table).
CREATE OR REPLACE FUNCTION firebreak.updated_pending(p_table oid)
RETURNS bigint
LANGUAGE sql
STABLE
AS $fn$
    SELECT coalesce(sum(pg_catalog.pg_stat_get_xact_tuples_updated(t.relid)), 0)::bigint
      FROM (SELECT p_table AS relid
             WHERE (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = p_table) <> 'p'
            UNION ALL
            SELECT p.relid FROM pg_catalog.pg_partition_tree(p_table) p
             WHERE p.isleaf AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = p_table) = 'p') t
$fn$;

-- Below how many rows a DELETE/UPDATE is routine. A constant function, rewritten by
-- firebreak.apply_policy, so that the hot path reads no table: one lookup per statement cost a
-- sixth of pgbench's throughput. Replacing the function invalidates every session's cached plans.
CREATE OR REPLACE FUNCTION firebreak.routine_below()
RETURNS bigint
LANGUAGE sql
IMMUTABLE
AS $fn$ SELECT 100::bigint $fn$;

-- The message of a routine DELETE/UPDATE: the same fields firebreak.emit writes, built as text in
-- one expression, for the hot path. VOLATILE like clock_timestamp() in it: a STABLE function
-- calling a volatile one is never inlined, and a SQL function that is not inlined is set up anew
-- on every call, which cost more than half of pgbench's throughput.
CREATE OR REPLACE FUNCTION firebreak.routine_message(p_tag text, p_schema name, p_table name, p_rows bigint, p_context text)
RETURNS text
LANGUAGE sql
VOLATILE
AS $fn$
    SELECT format('{"v":1,"kind":"dml","tag":%s,"rows":%s,"objects":[{"type":"table","schema":%s,"name":%s,"identity":%s,"original":true}],'
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
                  (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
$fn$;
REVOKE ALL ON FUNCTION firebreak.routine_message(text, name, name, bigint, text) FROM PUBLIC;

-- DELETE and UPDATE, once per statement. DELETE counts its old rows from the transition table.
-- UPDATE takes the backend's counter now minus what the previous UPDATE of the table left it at
-- (a session setting): a counter below that value was flushed in between and counts whole. A
-- session that changes the setting can only make its own counts larger; a flush between two
-- UPDATEs can make the second count smaller by at most the first one's value.
-- Small statements are routine and emitted transactionally (seen at commit, cheap); a statement
-- changing at least dml.immediate.rows rows, or one the guard judged, is emitted at once.
CREATE OR REPLACE FUNCTION firebreak.on_row_change()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
    n bigint;
    total bigint;
    mark text;
    previous bigint;
    g firebreak.guard_rule;
    rule text;
    mode text;
    reason text;
    sqlstate text := 'FB001';
    needed bigint;
    seen bigint;
    before_rows bigint;
BEGIN
    IF tg_op = 'DELETE' THEN
        SELECT count(*) INTO n FROM old_rows;
    ELSE
        -- a partitioned table counts in its partitions; an ordinary one needs no catalog lookup
        total := pg_catalog.pg_stat_get_xact_tuples_updated(tg_relid);
        IF total = 0 THEN
            total := firebreak.updated_pending(tg_relid);
        END IF;
        mark := 'firebreak.updated_' || tg_relid;
        -- a value the session set itself that is no number fails its own UPDATE, nothing else
        previous := coalesce(nullif(current_setting(mark, true), ''), '0')::bigint;
        n := CASE WHEN total >= previous THEN total - previous ELSE total END;
        PERFORM set_config(mark, total::text, false);
    END IF;
    IF n <= 0 THEN
        RETURN NULL;
    END IF;
    -- Routine statements (below dml.immediate.rows and below what any row_change guard could
    -- judge; firebreak.apply_policy writes the smaller into firebreak.routine_below()): one transactional
    -- message, decoded at commit, no WAL flush and no guard lookups of their own (a locked role's
    -- small statements are not refused: its sessions end a few milliseconds after the lock).
    IF n < firebreak.routine_below() THEN
        GET DIAGNOSTICS ctx = PG_CONTEXT;
        PERFORM pg_catalog.pg_logical_emit_message(true, '${message_prefix}',
                    firebreak.routine_message(tg_op, tg_table_schema, tg_table_name, n, ctx));
        RETURN NULL;
    END IF;
    IF firebreak.locked() THEN
        rule := 'firebreak-locked'; mode := 'enforce'; reason := 'the role has been revoked'; sqlstate := 'FB002';
    ELSE
        -- Broken when the table held at least min_rows before and n is at least fraction of them,
        -- so n below min_rows * fraction never is: routine statements stop at this one index scan.
        FOR g IN SELECT * FROM firebreak.guard_rule r
                  WHERE r.kind = 'row_change' AND n >= ceil(r.min_rows * r.fraction)
                  ORDER BY r.mode, r.id LOOP
            CONTINUE WHEN NOT firebreak.guarded() OR firebreak.guard_excepted(g.id);
            -- The table's size is counted only as far as the decision needs.
            needed := floor(n / g.fraction)::bigint;  -- the most rows the table may have held
            seen := firebreak.holds_at_least(tg_relid, needed + 1 - CASE WHEN tg_op = 'DELETE' THEN n ELSE 0 END);
            before_rows := seen + CASE WHEN tg_op = 'DELETE' THEN n ELSE 0 END;
            IF before_rows <= needed AND before_rows >= g.min_rows THEN
                rule := g.id; mode := g.mode;
                reason := format('%s touches %s of %s rows (%s%%), limit %s%% of tables holding %s rows or more',
                                 tg_op, n, before_rows, round(100.0 * n / before_rows, 1), round((100 * g.fraction)::numeric, 1), g.min_rows);
                EXIT WHEN mode = 'enforce';
            END IF;
        END LOOP;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    PERFORM firebreak.judge('dml', jsonb_build_object(
                'tag', tg_op, 'objects', firebreak.table_objects(tg_table_schema, tg_table_name), 'rows', n),
            rule, mode, reason, sqlstate,
            n >= firebreak.setting_value('dml.immediate.rows', '100')::bigint, ctx);
    RETURN NULL;
END;
$fn$;

-- TRUNCATE, before it runs (so the rows it would remove can still be counted), once per table.
CREATE OR REPLACE FUNCTION firebreak.on_truncate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
    g firebreak.guard_rule;
    rule text;
    mode text;
    reason text;
    sqlstate text := 'FB001';
    tables integer;
    held bigint;
BEGIN
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    IF firebreak.locked() THEN
        rule := 'firebreak-locked'; mode := 'enforce'; reason := 'the role has been revoked'; sqlstate := 'FB002';
    ELSIF EXISTS (SELECT 1 FROM firebreak.guard_rules('truncate')) THEN
        INSERT INTO firebreak.guard_truncate AS t (pid, statement, tables)
        VALUES (pg_backend_pid(), statement_timestamp(), 1)
        ON CONFLICT (pid) DO UPDATE
           SET tables = CASE WHEN t.statement = excluded.statement THEN t.tables + 1 ELSE 1 END,
               statement = excluded.statement
        RETURNING t.tables INTO tables;
        FOR g IN SELECT * FROM firebreak.guard_rules('truncate') LOOP
            IF tables >= g.threshold THEN
                rule := g.id; mode := g.mode;
                reason := format('one statement truncates %s tables, limit %s', tables, g.threshold);
            ELSIF g.min_rows > 0 THEN
                held := firebreak.holds_at_least(tg_relid, g.min_rows);
                IF held >= g.min_rows THEN
                    rule := g.id; mode := g.mode;
                    reason := format('truncates a table holding at least %s rows', g.min_rows);
                END IF;
            END IF;
            EXIT WHEN mode = 'enforce';
        END LOOP;
    END IF;
    PERFORM firebreak.judge('truncate', jsonb_build_object(
                'tag', 'TRUNCATE', 'objects', firebreak.table_objects(tg_table_schema, tg_table_name)),
            rule, mode, reason, sqlstate, true, ctx);
    RETURN NULL;
END;
$fn$;

-- TRUNCATE is now judged before it runs, and UPDATE keeps no transition table. The result gains a
-- column, which CREATE OR REPLACE cannot do; SQL function bodies hold no dependencies on it.
DROP FUNCTION IF EXISTS firebreak.audit_triggers();
CREATE FUNCTION firebreak.audit_triggers()
RETURNS TABLE (name name, event text, timing text, func regprocedure, tgtype smallint, old_table name)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    VALUES ('firebreak_audit_delete'::name, 'DELETE', 'AFTER', 'firebreak.on_row_change()'::regprocedure, 8::smallint, 'old_rows'::name),
           ('firebreak_audit_update'::name, 'UPDATE', 'AFTER', 'firebreak.on_row_change()'::regprocedure, 16::smallint, NULL::name),
           ('firebreak_audit_truncate'::name, 'TRUNCATE', 'BEFORE', 'firebreak.on_truncate()'::regprocedure, 34::smallint, NULL::name)
$fn$;

CREATE OR REPLACE FUNCTION firebreak.watch_table(p_table regclass)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    a record;
    changed boolean := false;
BEGIN
    FOR a IN SELECT * FROM firebreak.audit_triggers() LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger t
                        WHERE t.tgrelid = p_table AND t.tgname = a.name AND firebreak.is_own_trigger(t.oid)) THEN
            EXECUTE format('CREATE OR REPLACE TRIGGER %I %s %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %s',
                           a.name, a.timing, a.event, p_table,
                           CASE WHEN a.old_table IS NULL THEN '' ELSE format('REFERENCING OLD TABLE AS %I', a.old_table) END,
                           a.func);
            changed := true;
        END IF;
    END LOOP;
    RETURN changed;
END;
$fn$;

-- Only Firebreak may run its trigger functions (PostgreSQL fires them without checking EXECUTE)
-- and put its triggers on a table.
REVOKE ALL ON FUNCTION firebreak.on_row_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_truncate() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_sql_drop() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_ddl_command_end() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_ddl_command_start() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.watch_table(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.dml_wanted(oid) FROM PUBLIC;

DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'firebreak_ddl_command_start') THEN
        CREATE EVENT TRIGGER firebreak_ddl_command_start ON ddl_command_start
            EXECUTE FUNCTION firebreak.on_ddl_command_start();
    END IF;
END;
$do$;

-- Replaces the whole guard policy in the caller's transaction: the settings the trigger functions
-- read (guard.scope, cluster, objects.max, dml.immediate.rows), the rules and the exceptions, as
-- the installer compiled them from the YAML. Statements running meanwhile see the old policy or
-- the new one, never a mix; no session has to reconnect.
CREATE OR REPLACE FUNCTION firebreak.apply_policy(p_settings jsonb, p_rules jsonb, p_exceptions jsonb)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    scope text := p_settings ->> 'guard.scope';
    n integer;
BEGIN
    IF scope IS NULL OR scope !~ '^(all|none|members_of:.+)$' THEN
        RAISE EXCEPTION 'guard.scope must be all, none or members_of:<role>, was %', coalesce(scope, 'missing');
    END IF;
    -- the function rewritten below is Firebreak's own change, not news for the audit stream
    PERFORM set_config('firebreak.installing', 'on', true);
    INSERT INTO firebreak.setting (name, value)
    SELECT key, value FROM jsonb_each_text(p_settings)
    ON CONFLICT (name) DO UPDATE SET value = excluded.value;
    DELETE FROM firebreak.guard_rule;
    INSERT INTO firebreak.guard_rule SELECT * FROM jsonb_populate_recordset(NULL::firebreak.guard_rule, p_rules);
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM firebreak.guard_exception;
    INSERT INTO firebreak.guard_exception
    SELECT * FROM jsonb_populate_recordset(NULL::firebreak.guard_exception, p_exceptions);
    -- Below this many rows a DELETE/UPDATE is routine: neither emitted at once nor judged by a guard.
    EXECUTE format('CREATE OR REPLACE FUNCTION firebreak.routine_below() RETURNS bigint LANGUAGE sql IMMUTABLE AS %L',
                   format('SELECT %s::bigint', least(
                       coalesce((p_settings ->> 'dml.immediate.rows')::bigint, 100),
                       coalesce((SELECT min(ceil(g.min_rows * g.fraction))::bigint FROM firebreak.guard_rule g
                                  WHERE g.kind = 'row_change'), 9223372036854775807))));
    RETURN n;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.apply_policy(jsonb, jsonb, jsonb) FROM PUBLIC;

-- Login roles the guard can never judge: superusers, who could switch off any control anyway.
CREATE OR REPLACE FUNCTION firebreak.unguardable_roles()
RETURNS SETOF name
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT r.rolname FROM pg_roles r WHERE r.rolsuper AND r.rolcanlogin ORDER BY 1 $fn$;

-- What is installed, compared with what should be: one row per problem, none when capture is
-- intact. Ingest runs it every few seconds and exports the count (an alert fires on any).
CREATE OR REPLACE FUNCTION firebreak.integrity()
RETURNS TABLE (problem text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT format('event trigger %s is missing', e.name)
      FROM (VALUES ('firebreak_sql_drop'), ('firebreak_ddl_command_end'), ('firebreak_ddl_command_start')) e(name)
     WHERE NOT EXISTS (SELECT 1 FROM pg_event_trigger t WHERE t.evtname = e.name)
    UNION ALL
    SELECT format('event trigger %s is %s', t.evtname, CASE t.evtenabled WHEN 'D' THEN 'disabled' ELSE 'enabled for replica only' END)
      FROM pg_event_trigger t
     WHERE t.evtname LIKE 'firebreak\_%' AND t.evtenabled IN ('D', 'R')
    UNION ALL
    SELECT format('%s may be executed by %s', p.oid::regprocedure,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END)
      FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
     WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner
       AND ((p.pronamespace = 'firebreak'::regnamespace
             AND p.proname IN ('emit', 'judge', 'judge_rate', 'on_sql_drop', 'on_ddl_command_end', 'on_ddl_command_start',
                               'on_row_change', 'on_truncate', 'watch_table', 'apply_policy', 'holds_at_least'))
            OR (p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = 'pg_logical_emit_message'))
    UNION ALL
    SELECT format('%s %s Firebreak''s triggers', w.rel, CASE WHEN w.watch THEN 'lacks' ELSE 'should not carry' END)
      FROM firebreak.watch_plan() w
    UNION ALL
    SELECT format('%s may set session_replication_role, which silences triggers', r.rolname)
      FROM pg_roles r
     WHERE NOT r.rolsuper AND r.rolcanlogin AND has_parameter_privilege(r.oid, 'session_replication_role', 'SET')
$fn$;
REVOKE ALL ON FUNCTION firebreak.integrity() FROM PUBLIC;

-- The replication slot's hold on the primary: WAL it retains, and how much more may be written
-- before max_slot_wal_keep_size invalidates it (NULL when no cap is set, which Firebreak refuses
-- to leave unmentioned: a stopped ingest would then fill the primary's disk).
CREATE OR REPLACE FUNCTION firebreak.slot_health(p_slot name)
RETURNS TABLE (retained_bytes bigint, safe_bytes bigint, wal_status text, active boolean)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint, s.safe_wal_size, s.wal_status, s.active
      FROM pg_replication_slots s
     WHERE s.slot_name = p_slot
$fn$;
REVOKE ALL ON FUNCTION firebreak.slot_health(name) FROM PUBLIC;

-- Version 1's emit trusted the caller's body; nobody may call it any more. Dropped last, once
-- every trigger function calls the new one (the drop itself fires on_sql_drop).
DROP FUNCTION IF EXISTS firebreak.emit_statement(text, text, name, name, bigint);
DROP FUNCTION IF EXISTS firebreak.emit(text, text, jsonb);

INSERT INTO firebreak.schema_version (version, description)
VALUES (3, 'trusted capture (only Firebreak''s triggers emit, bounded, redacted) and the in-database guard')
ON CONFLICT (version) DO NOTHING;
