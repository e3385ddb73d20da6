-- Version 8: the UPDATE gate can be switched off (firebreak.ingest.dml.update.gated = false).
--
-- A profile of pgbench on a watched database (perf, PostgreSQL 17) put most of what capture still
-- cost it in V7's two UPDATE triggers, although their functions never run for a routine UPDATE:
-- PostgreSQL re-reads each trigger's WHEN condition from its stored node string (stringToNode) and
-- plans it again in every execution of every UPDATE, and copies every trigger of the table as the
-- statement starts. About a tenth of the backends' CPU; no shorter condition changes that much.
--
-- Where UPDATEs need no judging before they commit, the two triggers can go: with routine DML
-- summarised from pg_stat_statements (dml.routine = summary) every UPDATE, large ones too, is still
-- reported, once it has run, by role and statement shape. What is given up: a large UPDATE is no
-- longer emitted at once, and no row_change guard can refuse an UPDATE. DELETE and TRUNCATE keep
-- their triggers and their guards either way. The installer writes the setting on every start;
-- ingest refuses gated = false unless routine DML is summarised.

-- Whether UPDATEs carry the gate triggers; rewritten by firebreak.set_update_gate, a constant so that
-- the planner folds it.
CREATE OR REPLACE FUNCTION firebreak.update_gated()
RETURNS boolean
LANGUAGE sql
IMMUTABLE
AS 'SELECT true';

-- V7's list, without the UPDATE triggers while the gate is off: creating, checking (tampering
-- included) and removing the triggers all read this list, so none of them expects the two then.
CREATE OR REPLACE FUNCTION firebreak.audit_triggers()
RETURNS TABLE (name name, event text, timing text, func regprocedure, tgtype smallint, old_table name)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT v.name, v.event, v.timing, v.func, v.tgtype, v.old_table
      FROM (VALUES ('firebreak_audit_delete'::name, 'DELETE', 'AFTER', 'firebreak.on_row_change()'::regprocedure, 8::smallint, 'old_rows'::name),
                   ('firebreak_audit_update_mark'::name, 'UPDATE', 'BEFORE', 'firebreak.on_row_change()'::regprocedure, 18::smallint, NULL::name),
                   ('firebreak_audit_update'::name, 'UPDATE', 'AFTER', 'firebreak.on_row_change()'::regprocedure, 16::smallint, NULL::name),
                   ('firebreak_audit_truncate'::name, 'TRUNCATE', 'BEFORE', 'firebreak.on_truncate()'::regprocedure, 34::smallint, NULL::name))
           AS v(name, event, timing, func, tgtype, old_table)
     WHERE v.event <> 'UPDATE' OR firebreak.update_gated()
$fn$;

-- Switches the gate; returns how many UPDATE triggers it removed. Off removes them from every table
-- in this transaction; on leaves adding them to the installer's reconciliation (watch_plan), which
-- runs next and takes each table in its own short transaction.
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
                    AND t.tgfoid = 'firebreak.on_row_change()'::regprocedure
                  ORDER BY t.tgrelid, t.tgname LOOP
            EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);
            n := n + 1;
        END LOOP;
    END IF;
    RETURN n;
END;
$fn$;

REVOKE ALL ON FUNCTION firebreak.set_update_gate(boolean) FROM PUBLIC;

-- V7's plan, without tables dropped while it runs. Its scans of pg_class and pg_trigger see the
-- query's snapshot, but pg_get_expr in firebreak.is_own_trigger reads the latest catalog, so a table
-- whose DROP committed in between looked as if it lacked its triggers (the capture integrity check
-- reported it, as a bare oid, whenever it ran during a series of drops). pg_relation_size reads the
-- latest catalog too, and is NULL for a relation that no longer exists; it runs only for the rows
-- the plan would return (OFFSET 0 keeps the planner from evaluating it for every table).
CREATE OR REPLACE FUNCTION firebreak.watch_plan()
RETURNS TABLE (rel regclass, watch boolean)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT d.oid::regclass, d.wanted
      FROM (SELECT p.oid, p.wanted
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
            OFFSET 0) d
     WHERE pg_catalog.pg_relation_size(d.oid) IS NOT NULL
     ORDER BY d.oid
$fn$;

INSERT INTO firebreak.schema_version (version, description)
VALUES (8, 'the UPDATE gate triggers can be switched off where routine DML is summarised')
ON CONFLICT (version) DO NOTHING;
