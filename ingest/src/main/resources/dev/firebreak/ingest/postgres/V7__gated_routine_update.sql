-- Version 7: routine UPDATEs cost no PL/pgSQL call.
--
-- Until now the statement trigger's function ran after every UPDATE, only to find out from
-- PostgreSQL's per-backend counter that a routine statement changed a few rows; with routine DML
-- summarised (dml.routine = summary) it then did nothing else. A call of a PL/pgSQL function per
-- statement was the largest part of what capture still cost pgbench. Now PostgreSQL itself decides,
-- in the triggers' WHEN conditions, which run in the executor without any function call of ours:
--
--   firebreak_audit_update_mark  BEFORE UPDATE, its condition records the counter as the statement
--                                begins (session setting firebreak.ub_<table oid>) and is false, so
--                                its function never runs;
--   firebreak_audit_update       AFTER UPDATE, runs its function only when the counter grew by at
--                                least firebreak.routine_below() rows during the statement (summary
--                                mode), or by at least one row (statement mode, which reports every
--                                statement anyway).
--
-- The difference is exactly the statement's rows: the counter also holds earlier transactions'
-- updates until the backend flushes its statistics, but both readings contain them. The threshold is
-- a constant in the condition, rewritten (firebreak.refresh_gates) when the policy or the mode
-- changes. Partitioned tables keep V3's way: their rows are counted in the partitions, which a
-- condition cannot sum without a subquery. DELETE keeps its exact transition table.
--
-- What this does not change: a session can still write the setting itself, in the middle of its own
-- statement (set_config in a WHERE clause), and so under-count an UPDATE, as it could write V3's
-- firebreak.updated_<oid>; DELETE and TRUNCATE are not affected. See README, "Known limits".

-- The statement triggers Firebreak puts on a watched table. Creating, checking and removing them
-- read this list, so they cannot disagree.
CREATE OR REPLACE FUNCTION firebreak.audit_triggers()
RETURNS TABLE (name name, event text, timing text, func regprocedure, tgtype smallint, old_table name)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    VALUES ('firebreak_audit_delete'::name, 'DELETE', 'AFTER', 'firebreak.on_row_change()'::regprocedure, 8::smallint, 'old_rows'::name),
           ('firebreak_audit_update_mark'::name, 'UPDATE', 'BEFORE', 'firebreak.on_row_change()'::regprocedure, 18::smallint, NULL::name),
           ('firebreak_audit_update'::name, 'UPDATE', 'AFTER', 'firebreak.on_row_change()'::regprocedure, 16::smallint, NULL::name),
           ('firebreak_audit_truncate'::name, 'TRUNCATE', 'BEFORE', 'firebreak.on_truncate()'::regprocedure, 34::smallint, NULL::name)
$fn$;

-- The WHEN condition and function argument trigger p_name has on table p_table: qual as
-- CREATE TRIGGER takes it, deparsed as pg_get_expr prints it back (search_path pg_catalog), both NULL
-- for no condition. Constants only: the conditions run as the user who updates, and read nothing
-- of Firebreak's.
CREATE OR REPLACE FUNCTION firebreak.gate(p_name name, p_table oid, OUT qual text, OUT deparsed text, OUT arg text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE g.kind
               WHEN 'mark' THEN format('pg_catalog.set_config(%L, pg_catalog.pg_stat_get_xact_tuples_updated(%L::oid)::text, false) IS NULL',
                                       g.setting, p_table::text)
               WHEN 'gate' THEN format('pg_catalog.pg_stat_get_xact_tuples_updated(%L::oid) - pg_catalog.current_setting(%L)::bigint >= %L::bigint',
                                       p_table::text, g.setting, g.threshold::text)
           END,
           CASE g.kind
               WHEN 'mark' THEN format('(set_config(%L::text, (pg_stat_get_xact_tuples_updated(%L::oid))::text, false) IS NULL)',
                                       g.setting, p_table::text)
               WHEN 'gate' THEN format('((pg_stat_get_xact_tuples_updated(%L::oid) - (current_setting(%L::text))::bigint) >= %L::bigint)',
                                       p_table::text, g.setting, g.threshold::text)
           END,
           CASE g.kind WHEN 'gate' THEN 'marked' END
      FROM (SELECT CASE WHEN p_name = 'firebreak_audit_update_mark' THEN 'mark'
                        WHEN p_name = 'firebreak_audit_update' AND c.relkind = 'r' THEN 'gate'
                   END AS kind,
                   'firebreak.ub_' || p_table::text AS setting,
                   CASE WHEN firebreak.routine_summarized() THEN firebreak.routine_below() ELSE 1 END AS threshold
              FROM pg_class c
             WHERE c.oid = p_table) g
$fn$;

-- True when the trigger is exactly one of Firebreak's audit triggers as the installer makes it for
-- its table: enabled, on every column, with the condition and argument of firebreak.gate. A trigger
-- that only looks like ours (same name, another condition, disabled) is not.
CREATE OR REPLACE FUNCTION firebreak.is_own_trigger(p_trigger oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT EXISTS (
        SELECT 1
          FROM pg_trigger t
          JOIN firebreak.audit_triggers() a ON a.name = t.tgname
          CROSS JOIN LATERAL firebreak.gate(a.name, t.tgrelid) g
         WHERE t.oid = p_trigger
           AND t.tgfoid = a.func
           AND t.tgtype = a.tgtype
           AND t.tgenabled IN ('O', 'A')
           AND pg_get_expr(t.tgqual, t.tgrelid) IS NOT DISTINCT FROM g.deparsed
           AND t.tgnargs = CASE WHEN g.arg IS NULL THEN 0 ELSE 1 END
           AND (g.arg IS NULL OR t.tgargs = convert_to(g.arg, 'UTF8') || '\x00'::bytea)
           AND cardinality(t.tgattr::int2[]) = 0
           AND NOT t.tgisinternal
           AND t.tgconstraint = 0
           AND t.tgoldtable IS NOT DISTINCT FROM a.old_table
           AND t.tgnewtable IS NULL)
$fn$;

-- (Re)creates whichever of the triggers is missing or not exactly ours; returns whether it changed
-- anything. Runs as the caller, who needs the TRIGGER privilege on the table. CREATE OR REPLACE
-- rather than DROP + CREATE: a DROP TRIGGER would be reported as a drop.
CREATE OR REPLACE FUNCTION firebreak.watch_table(p_table regclass)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    a record;
    g record;
    changed boolean := false;
BEGIN
    FOR a IN SELECT * FROM firebreak.audit_triggers() LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger t
                        WHERE t.tgrelid = p_table AND t.tgname = a.name AND firebreak.is_own_trigger(t.oid)) THEN
            SELECT * INTO g FROM firebreak.gate(a.name, p_table);
            EXECUTE format('CREATE OR REPLACE TRIGGER %I %s %s ON %s %s FOR EACH STATEMENT %s EXECUTE FUNCTION %s(%s)',
                           a.name, a.timing, a.event, p_table,
                           CASE WHEN a.old_table IS NULL THEN '' ELSE format('REFERENCING OLD TABLE AS %I', a.old_table) END,
                           CASE WHEN g.qual IS NULL THEN '' ELSE 'WHEN (' || g.qual || ')' END,
                           a.func::oid::regproc, coalesce(quote_literal(g.arg), ''));
            changed := true;
        END IF;
    END LOOP;
    RETURN changed;
END;
$fn$;

-- Every table whose triggers differ from what the settings want: watch = true means the triggers
-- must be added (or made ours again), false that they must go.
CREATE OR REPLACE FUNCTION firebreak.watch_plan()
RETURNS TABLE (rel regclass, watch boolean)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT p.oid::regclass, p.wanted
      FROM (SELECT c.oid,
                   firebreak.dml_wanted(c.oid) AS wanted,
                   (SELECT count(*) FROM pg_trigger t
                     WHERE t.tgrelid = c.oid AND firebreak.is_own_trigger(t.oid)) AS own,
                   (SELECT count(*) FROM pg_trigger t JOIN firebreak.audit_triggers() a ON a.name = t.tgname
                     WHERE t.tgrelid = c.oid) AS named
              FROM pg_class c
             WHERE c.relkind IN ('r', 'p')) p
     WHERE (p.wanted AND p.own < (SELECT count(*) FROM firebreak.audit_triggers()))
        OR (NOT p.wanted AND p.named > 0)
     ORDER BY p.oid
$fn$;

-- Watched tables whose Firebreak triggers a command disabled, replaced, renamed or moved out of
-- watch: a table with any trigger of ours that is not exactly as the installer made it, or that
-- the scope no longer wants.
CREATE OR REPLACE FUNCTION firebreak.tampered(p_table oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT named > 0 AND (own < (SELECT count(*) FROM firebreak.audit_triggers()) OR NOT firebreak.dml_wanted(p_table))
      FROM (SELECT (SELECT count(*) FROM pg_trigger t JOIN firebreak.audit_triggers() a ON a.name = t.tgname
                     WHERE t.tgrelid = p_table) AS named,
                   (SELECT count(*) FROM pg_trigger t
                     WHERE t.tgrelid = p_table AND firebreak.is_own_trigger(t.oid)) AS own) c
$fn$;

-- Rewrites the conditions of every watched table whose UPDATE triggers no longer carry the current
-- threshold or mode; returns how many tables it changed. In the caller's transaction, as part of
-- the policy or mode change that made them stale, so statements see the old conditions or the new.
CREATE OR REPLACE FUNCTION firebreak.refresh_gates()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r regclass;
    n integer := 0;
BEGIN
    PERFORM set_config('firebreak.installing', 'on', true);
    FOR r IN SELECT DISTINCT t.tgrelid::regclass
               FROM pg_trigger t
              WHERE t.tgname IN ('firebreak_audit_update', 'firebreak_audit_update_mark')
                AND NOT firebreak.is_own_trigger(t.oid)
                AND firebreak.dml_wanted(t.tgrelid) LOOP
        IF firebreak.watch_table(r) THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END;
$fn$;

-- Version 3's policy switch, now also rewriting the conditions when the threshold moves.
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
    -- the UPDATE triggers' conditions carry the threshold as a constant
    PERFORM firebreak.refresh_gates();
    RETURN n;
END;
$fn$;

-- Version 5's mode switch, now also rewriting the conditions.
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
        -- statement mode needs every UPDATE's trigger, summary only the large ones'
        PERFORM firebreak.refresh_gates();
    END IF;
    RETURN p_mode;
END;
$fn$;

-- Version 6's DELETE/UPDATE handler; an UPDATE on an ordinary table reads the mark of its BEFORE trigger.
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
    own text;
    blast jsonb;
BEGIN
    IF tg_op = 'DELETE' THEN
        SELECT count(*) INTO n FROM old_rows;
    ELSIF tg_nargs > 0 AND tg_argv[0] = 'marked' THEN
        -- An ordinary table: its BEFORE trigger's condition marked the counter as the statement began.
        n := pg_catalog.pg_stat_get_xact_tuples_updated(tg_relid)
             - coalesce(nullif(current_setting('firebreak.ub_' || tg_relid, true), ''), '0')::bigint;
    ELSE
        -- a partitioned table counts in its partitions (V3's session mark, its trigger fires every time)
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
    own := firebreak.own_kind(tg_relid);
    blast := firebreak.blast_for_table(tg_relid, tg_op, n);
    IF firebreak.locked() THEN
        rule := 'firebreak-locked'; mode := 'enforce'; reason := 'the role has been revoked'; sqlstate := 'FB002';
    ELSE
        -- Broken when the table held at least min_rows before and n is at least fraction of them,
        -- so n below min_rows * fraction never is: routine statements stop at this one index scan.
        FOR g IN SELECT * FROM firebreak.guard_rule r
                  WHERE r.kind = 'row_change' AND n >= ceil(r.min_rows * r.fraction)
                  ORDER BY r.mode, r.id LOOP
            CONTINUE WHEN NOT firebreak.guarded() OR firebreak.guard_excepted(g.id) OR firebreak.spared(g.spare, own, false, NULL);
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
                'tag', tg_op, 'objects', firebreak.table_objects(tg_table_schema, tg_table_name), 'rows', n) || blast,
            rule, mode, reason, sqlstate,
            n >= firebreak.setting_value('dml.immediate.rows', '100')::bigint, ctx);
    RETURN NULL;
END;
$fn$;

REVOKE ALL ON FUNCTION firebreak.on_row_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.watch_table(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.refresh_gates() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.apply_policy(jsonb, jsonb, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.set_routine_capture(text) FROM PUBLIC;

INSERT INTO firebreak.schema_version (version, description)
VALUES (7, 'routine UPDATEs decided in trigger conditions: a PL/pgSQL call only for statements that may matter')
ON CONFLICT (version) DO NOTHING;
