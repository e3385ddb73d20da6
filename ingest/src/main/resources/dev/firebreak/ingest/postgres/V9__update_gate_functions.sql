-- Version 9: the UPDATE gate costs a third of what V7's conditions cost.
--
-- V7 decided in the triggers' WHEN conditions whether an UPDATE was routine, so that no PL/pgSQL
-- function ran for it. But PostgreSQL keeps a trigger's condition for one execution only: every
-- UPDATE read both stored node strings again (stringToNode) and planned them again. Measured on
-- PostgreSQL 17 with 20,000 single-row UPDATEs in a server-side loop (median of runs, alternating):
-- a table without triggers took about 7 us per UPDATE, with V7's two conditions about 20 us, with
-- the same two decisions in two small PL/pgSQL trigger functions about 12 us. A PL/pgSQL function
-- is compiled once per session and keeps its expressions' plans, and a trigger without a condition
-- has nothing to parse. So the gate is now two functions:
--
--   firebreak_audit_update_mark  BEFORE UPDATE: firebreak.on_update_mark() records the counter as the
--                                statement begins (session setting firebreak.ub_<table oid>), as V7's
--                                condition did;
--   firebreak_audit_update       AFTER UPDATE: firebreak.on_update_gate() returns at once when the
--                                counter grew by fewer rows than the threshold (summary mode:
--                                firebreak.routine_below(); statement mode: one row), and otherwise
--                                judges the statement as V7's on_row_change did.
--
-- The threshold is read, not written into the triggers: routine_below() and routine_summarized()
-- are constants the plan folds, and replacing them (apply_policy, set_routine_capture) invalidates
-- the cached plans of every session. firebreak.refresh_gates now only repairs UPDATE triggers that
-- are not exactly ours. What V7 left open is unchanged: a session can write its own mark in the
-- middle of its statement and so under-count that UPDATE (README, "Known limits").

-- What a DELETE or UPDATE statement of n rows on a table means, as V7's on_row_change decided it
-- after counting: a routine message, or Firebreak's judgement. Called by the trigger functions below
-- with what they learnt from PostgreSQL (p_context: PG_CONTEXT as the trigger function saw it, so the
-- statement's origin reads as before).
CREATE OR REPLACE FUNCTION firebreak.row_change(p_op text, p_relid oid, p_schema name, p_table name, p_n bigint,
                                                p_context text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
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
    IF p_n <= 0 THEN
        RETURN;
    END IF;
    -- Routine statements (below dml.immediate.rows and below what any row_change guard could
    -- judge; firebreak.apply_policy writes the smaller into firebreak.routine_below()): one transactional
    -- message, decoded at commit, no WAL flush and no guard lookups of their own (a locked role's
    -- small statements are not refused: its sessions end a few milliseconds after the lock).
    IF p_n < firebreak.routine_below() THEN
        PERFORM pg_catalog.pg_logical_emit_message(true, '${message_prefix}',
                    firebreak.routine_message(p_op, p_schema, p_table, p_n, p_context));
        RETURN;
    END IF;
    own := firebreak.own_kind(p_relid);
    blast := firebreak.blast_for_table(p_relid, p_op, p_n);
    IF firebreak.locked() THEN
        rule := 'firebreak-locked'; mode := 'enforce'; reason := 'the role has been revoked'; sqlstate := 'FB002';
    ELSE
        -- Broken when the table held at least min_rows before and n is at least fraction of them,
        -- so n below min_rows * fraction never is: routine statements stop at this one index scan.
        FOR g IN SELECT * FROM firebreak.guard_rule r
                  WHERE r.kind = 'row_change' AND p_n >= ceil(r.min_rows * r.fraction)
                  ORDER BY r.mode, r.id LOOP
            CONTINUE WHEN NOT firebreak.guarded() OR firebreak.guard_excepted(g.id) OR firebreak.spared(g.spare, own, false, NULL);
            -- The table's size is counted only as far as the decision needs.
            needed := floor(p_n / g.fraction)::bigint;  -- the most rows the table may have held
            seen := firebreak.holds_at_least(p_relid, needed + 1 - CASE WHEN p_op = 'DELETE' THEN p_n ELSE 0 END);
            before_rows := seen + CASE WHEN p_op = 'DELETE' THEN p_n ELSE 0 END;
            IF before_rows <= needed AND before_rows >= g.min_rows THEN
                rule := g.id; mode := g.mode;
                reason := format('%s touches %s of %s rows (%s%%), limit %s%% of tables holding %s rows or more',
                                 p_op, p_n, before_rows, round(100.0 * p_n / before_rows, 1), round((100 * g.fraction)::numeric, 1), g.min_rows);
                EXIT WHEN mode = 'enforce';
            END IF;
        END LOOP;
    END IF;
    PERFORM firebreak.judge('dml', jsonb_build_object(
                'tag', p_op, 'objects', firebreak.table_objects(p_schema, p_table), 'rows', p_n) || blast,
            rule, mode, reason, sqlstate,
            p_n >= firebreak.setting_value('dml.immediate.rows', '100')::bigint, p_context);
END;
$fn$;

-- Rows an UPDATE changed on a partitioned table, counted in its partitions (V3's session mark: the
-- table's own counter stays at zero, so its trigger reads the pending statistics every time).
CREATE OR REPLACE FUNCTION firebreak.partition_updates(p_relid oid)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    total bigint := pg_catalog.pg_stat_get_xact_tuples_updated(p_relid);
    mark text := 'firebreak.updated_' || p_relid;
    previous bigint;
BEGIN
    IF total = 0 THEN
        total := firebreak.updated_pending(p_relid);
    END IF;
    -- a value the session set itself that is no number fails its own UPDATE, nothing else
    previous := coalesce(nullif(current_setting(mark, true), ''), '0')::bigint;
    PERFORM set_config(mark, total::text, false);
    RETURN CASE WHEN total >= previous THEN total - previous ELSE total END;
END;
$fn$;

-- BEFORE UPDATE, every statement. Runs as the user who updates, and reads and writes nothing of
-- Firebreak's; no SET search_path (it would cost every UPDATE a save and restore of the setting), so
-- every name is qualified.
CREATE OR REPLACE FUNCTION firebreak.on_update_mark()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
DECLARE
    marked text;
BEGIN
    marked := pg_catalog.set_config('firebreak.ub_' OPERATOR(pg_catalog.||) tg_relid::pg_catalog.text,
                                    pg_catalog.pg_stat_get_xact_tuples_updated(tg_relid)::pg_catalog.text, false);
    RETURN NULL;
END;
$fn$;

-- AFTER UPDATE, every statement: argument 'marked' on an ordinary table, whose BEFORE trigger
-- marked the counter; none on a partitioned one.
CREATE OR REPLACE FUNCTION firebreak.on_update_gate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n bigint;
    ctx text;
BEGIN
    IF tg_nargs > 0 THEN
        n := pg_stat_get_xact_tuples_updated(tg_relid)
             - coalesce(nullif(current_setting('firebreak.ub_' || tg_relid, true), ''), '0')::bigint;
        -- summary mode reports routine UPDATEs from pg_stat_statements; statement mode every one here
        IF n < (CASE WHEN firebreak.routine_summarized() THEN firebreak.routine_below() ELSE 1 END) THEN
            RETURN NULL;
        END IF;
    ELSE
        n := firebreak.partition_updates(tg_relid);
    END IF;
    IF n <= 0 THEN
        RETURN NULL;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    PERFORM firebreak.row_change(tg_op, tg_relid, tg_table_schema, tg_table_name, n, ctx);
    RETURN NULL;
END;
$fn$;

-- DELETE (its exact transition table), and UPDATE triggers V7 left until the installer replaces them.
CREATE OR REPLACE FUNCTION firebreak.on_row_change()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
    n bigint;
BEGIN
    IF tg_op = 'DELETE' THEN
        SELECT count(*) INTO n FROM old_rows;
    ELSIF tg_nargs > 0 AND tg_argv[0] = 'marked' THEN
        n := pg_catalog.pg_stat_get_xact_tuples_updated(tg_relid)
             - coalesce(nullif(current_setting('firebreak.ub_' || tg_relid, true), ''), '0')::bigint;
    ELSE
        n := firebreak.partition_updates(tg_relid);
    END IF;
    IF n <= 0 THEN
        RETURN NULL;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    PERFORM firebreak.row_change(tg_op, tg_relid, tg_table_schema, tg_table_name, n, ctx);
    RETURN NULL;
END;
$fn$;

-- V8's list with the two new functions on the UPDATE triggers.
CREATE OR REPLACE FUNCTION firebreak.audit_triggers()
RETURNS TABLE (name name, event text, timing text, func regprocedure, tgtype smallint, old_table name)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT v.name, v.event, v.timing, v.func, v.tgtype, v.old_table
      FROM (VALUES ('firebreak_audit_delete'::name, 'DELETE', 'AFTER', 'firebreak.on_row_change()'::regprocedure, 8::smallint, 'old_rows'::name),
                   ('firebreak_audit_update_mark'::name, 'UPDATE', 'BEFORE', 'firebreak.on_update_mark()'::regprocedure, 18::smallint, NULL::name),
                   ('firebreak_audit_update'::name, 'UPDATE', 'AFTER', 'firebreak.on_update_gate()'::regprocedure, 16::smallint, NULL::name),
                   ('firebreak_audit_truncate'::name, 'TRUNCATE', 'BEFORE', 'firebreak.on_truncate()'::regprocedure, 34::smallint, NULL::name))
           AS v(name, event, timing, func, tgtype, old_table)
     WHERE v.event <> 'UPDATE' OR firebreak.update_gated()
$fn$;

-- No trigger of ours has a condition any more; the AFTER UPDATE trigger of an ordinary table still
-- takes the argument 'marked'.
CREATE OR REPLACE FUNCTION firebreak.gate(p_name name, p_table oid, OUT qual text, OUT deparsed text, OUT arg text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT NULL::text, NULL::text,
           CASE WHEN p_name = 'firebreak_audit_update' AND c.relkind = 'r' THEN 'marked' END
      FROM pg_class c
     WHERE c.oid = p_table
$fn$;

-- V8's switch, removing the UPDATE triggers of either version.
CREATE OR REPLACE FUNCTION firebreak.set_update_gate(p_on boolean)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r record;
    n integer := 0;
BEGIN
    IF p_on IS NULL THEN
        RAISE EXCEPTION 'the UPDATE gate must be switched on (true) or off (false), was missing';
    END IF;
    -- the triggers dropped below are Firebreak's own change, neither news nor tampering
    PERFORM set_config('firebreak.installing', 'on', true);
    IF firebreak.update_gated() IS DISTINCT FROM p_on THEN
        EXECUTE format('CREATE OR REPLACE FUNCTION firebreak.update_gated() RETURNS boolean LANGUAGE sql IMMUTABLE AS %L',
                       CASE WHEN p_on THEN 'SELECT true' ELSE 'SELECT false' END);
    END IF;
    IF NOT p_on THEN
        FOR r IN SELECT t.tgname, t.tgrelid::regclass AS rel
                   FROM pg_trigger t
                  WHERE t.tgname IN ('firebreak_audit_update_mark', 'firebreak_audit_update')
                    AND NOT t.tgisinternal
                    AND t.tgfoid IN ('firebreak.on_row_change()'::regprocedure, 'firebreak.on_update_mark()'::regprocedure,
                                     'firebreak.on_update_gate()'::regprocedure)
                  ORDER BY t.tgrelid, t.tgname LOOP
            EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);
            n := n + 1;
        END LOOP;
    END IF;
    RETURN n;
END;
$fn$;

REVOKE ALL ON FUNCTION firebreak.row_change(text, oid, name, name, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.partition_updates(oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_update_mark() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_update_gate() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_row_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.set_update_gate(boolean) FROM PUBLIC;

INSERT INTO firebreak.schema_version (version, description)
VALUES (9, 'UPDATE gate in two small trigger functions instead of conditions re-planned on every UPDATE')
ON CONFLICT (version) DO NOTHING;
