-- Firebreak audit capture, version 2: statement-level DML capture.
-- Every statement is idempotent: the installer may run it again on an installed database.
-- ${statement_max_chars} is filled in by TriggerInstaller.
--
-- DELETE and UPDATE are reported by AFTER ... FOR EACH STATEMENT triggers with a transition
-- table, TRUNCATE (which fires no event trigger) by AFTER TRUNCATE triggers. They fire at the end
-- of the statement, before the transaction commits, and go through firebreak.emit like the DDL
-- events, so they carry the same identity fields.
--
-- Cost, paid by every watched DELETE/UPDATE statement: the transition table keeps a copy of every
-- old row (in memory up to work_mem, then in temporary files) so that it can be counted, and an
-- emitted message flushes WAL before the statement returns. Hot tables that do not need watching
-- can be excluded (firebreak.watch_exclusion).

-- Settings written by the installer from its configuration; only firebreak.dml_wanted reads them.
CREATE TABLE IF NOT EXISTS firebreak.setting (
    name  text PRIMARY KEY,
    value text NOT NULL
);
REVOKE ALL ON firebreak.setting FROM PUBLIC;

-- Schemas (table_name NULL) and tables that get no DML triggers. Replaced by the installer from
-- its configuration at every start; names are compared exactly as the catalog stores them.
CREATE TABLE IF NOT EXISTS firebreak.watch_exclusion (
    schema_name text NOT NULL,
    table_name  text
);
CREATE UNIQUE INDEX IF NOT EXISTS watch_exclusion_key
    ON firebreak.watch_exclusion (schema_name, coalesce(table_name, ''));
REVOKE ALL ON firebreak.watch_exclusion FROM PUBLIC;

-- Builds and emits one statement-level event. SECURITY INVOKER: current_user is still the role
-- whose privileges ran the statement (after SET ROLE or inside a SECURITY DEFINER function).
CREATE OR REPLACE FUNCTION firebreak.emit_statement(p_kind text, p_tag text, p_schema name, p_table name, p_rows bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    q text := current_query();
BEGIN
    -- current_query() is the whole statement sent by the client, so the events of one
    -- multi-table TRUNCATE (one per table) carry the same text and can be grouped downstream.
    PERFORM firebreak.emit(p_kind, current_user::text, jsonb_build_object(
        'tag', p_tag,
        'statement', left(q, ${statement_max_chars}),
        'statement_length', length(q),
        'objects', jsonb_build_array(jsonb_build_object(
            'type', 'table', 'schema', p_schema, 'name', p_table,
            'identity', format('%I.%I', p_schema, p_table), 'original', true)),
        'rows', p_rows));
END;
$fn$;

-- One function for the DELETE and UPDATE triggers: both carry the old rows, tg_op says which.
-- Statements that touched no row are not reported: they destroy nothing and would only add
-- one WAL flush and one event per statement.
CREATE OR REPLACE FUNCTION firebreak.on_row_change()
RETURNS trigger
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM old_rows;
    IF n > 0 THEN
        PERFORM firebreak.emit_statement('dml', tg_op, tg_table_schema, tg_table_name, n);
    END IF;
    RETURN NULL;
END;
$fn$;

-- TRUNCATE does not know how many rows it removed; it is always reported. A multi-table
-- TRUNCATE (or one that cascades or reaches partitions) fires this once per table.
CREATE OR REPLACE FUNCTION firebreak.on_truncate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM firebreak.emit_statement('truncate', 'TRUNCATE', tg_table_schema, tg_table_name, NULL);
    RETURN NULL;
END;
$fn$;

-- The triggers Firebreak puts on a watched table, defined once so that creating, checking and
-- removing them cannot disagree. After the trigger functions: the body names them.
CREATE OR REPLACE FUNCTION firebreak.audit_triggers()
RETURNS TABLE (name name, event text, func regprocedure, tgtype smallint, old_table name)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    VALUES ('firebreak_audit_delete'::name, 'DELETE', 'firebreak.on_row_change()'::regprocedure, 8::smallint, 'old_rows'::name),
           ('firebreak_audit_update'::name, 'UPDATE', 'firebreak.on_row_change()'::regprocedure, 16::smallint, 'old_rows'::name),
           ('firebreak_audit_truncate'::name, 'TRUNCATE', 'firebreak.on_truncate()'::regprocedure, 32::smallint, NULL::name)
$fn$;

-- True when the trigger is exactly one of Firebreak's audit triggers, enabled, unconditional and
-- on every column: a trigger that only looks like ours (same name, WHEN (false), disabled) is not.
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
         WHERE t.oid = p_trigger
           AND t.tgfoid = a.func
           AND t.tgtype = a.tgtype
           AND t.tgenabled IN ('O', 'A')
           AND t.tgqual IS NULL
           AND t.tgnargs = 0
           AND cardinality(t.tgattr::int2[]) = 0
           AND NOT t.tgisinternal
           AND t.tgconstraint = 0
           AND t.tgoldtable IS NOT DISTINCT FROM a.old_table
           AND t.tgnewtable IS NULL)
$fn$;

-- Tables that may be watched at all: ordinary and partitioned, permanent, outside the system
-- schemas and Firebreak's own, not part of an extension (its script owns those tables).
CREATE OR REPLACE FUNCTION firebreak.watchable(p_table oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT EXISTS (
        SELECT 1
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = p_table
           AND c.relkind IN ('r', 'p')
           AND c.relpersistence <> 't'
           AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'firebreak')
           AND n.nspname NOT LIKE 'pg\_temp\_%'
           AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'))
$fn$;

-- Whether the table should carry the DML triggers under the current settings. SECURITY DEFINER
-- because the ddl_command_end path runs as whoever creates a table, and the settings are not
-- readable by everyone.
CREATE OR REPLACE FUNCTION firebreak.dml_wanted(p_table oid)
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT firebreak.watchable(p_table)
       AND coalesce((SELECT s.value::boolean FROM firebreak.setting s WHERE s.name = 'dml.enabled'), true)
       AND NOT EXISTS (
           SELECT 1
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN firebreak.watch_exclusion e ON e.schema_name = n.nspname
                                             AND (e.table_name IS NULL OR e.table_name = c.relname)
            WHERE c.oid = p_table)
$fn$;

-- (Re)creates whichever of the three triggers is missing or not exactly ours; returns whether it
-- changed anything. Runs as the caller, who needs the TRIGGER privilege on the table.
-- CREATE OR REPLACE rather than DROP + CREATE: a DROP TRIGGER would be reported as a drop.
CREATE OR REPLACE FUNCTION firebreak.watch_table(p_table regclass)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    a record;
    changed boolean := false;
BEGIN
    FOR a IN SELECT * FROM firebreak.audit_triggers() LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger t
                        WHERE t.tgrelid = p_table AND t.tgname = a.name AND firebreak.is_own_trigger(t.oid)) THEN
            EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %s',
                           a.name, a.event, p_table,
                           CASE WHEN a.old_table IS NULL THEN '' ELSE format('REFERENCING OLD TABLE AS %I', a.old_table) END,
                           a.func);
            changed := true;
        END IF;
    END LOOP;
    RETURN changed;
END;
$fn$;

-- Removes Firebreak's triggers from the table; returns whether there were any.
CREATE OR REPLACE FUNCTION firebreak.unwatch_table(p_table regclass)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    trigger_name name;
    changed boolean := false;
BEGIN
    FOR trigger_name IN SELECT t.tgname FROM pg_trigger t JOIN firebreak.audit_triggers() a ON a.name = t.tgname
                         WHERE t.tgrelid = p_table LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, p_table);
        changed := true;
    END LOOP;
    RETURN changed;
END;
$fn$;

-- Every table whose triggers differ from what the settings want: watch = true means the triggers
-- must be added, false that they must go.
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
     WHERE (p.wanted AND p.own < 3) OR (NOT p.wanted AND p.named > 0)
     ORDER BY p.oid
$fn$;

-- Applies the whole plan in the caller's transaction, for manual use after changing
-- firebreak.watch_exclusion. The installer applies it table by table instead, so that it never
-- holds the locks of every table at once.
CREATE OR REPLACE FUNCTION firebreak.watch_all()
RETURNS TABLE (watched integer, unwatched integer)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    p record;
BEGIN
    watched := 0;
    unwatched := 0;
    FOR p IN SELECT * FROM firebreak.watch_plan() LOOP
        IF p.watch THEN
            PERFORM firebreak.watch_table(p.rel);
            watched := watched + 1;
        ELSE
            PERFORM firebreak.unwatch_table(p.rel);
            unwatched := unwatched + 1;
        END IF;
    END LOOP;
    RETURN NEXT;
END;
$fn$;

-- Removing triggers and reading the plan are for Firebreak's operators; watch_table stays open to
-- everyone because the ddl_command_end path calls it as the role creating a table.
REVOKE ALL ON FUNCTION firebreak.unwatch_table(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.watch_plan() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.watch_all() FROM PUBLIC;

-- Replaces version 1's handler: it still reports every command, and now also watches the tables
-- a command creates. Runs as the role issuing the DDL, which owns the new table and so may put
-- triggers on it.
CREATE OR REPLACE FUNCTION firebreak.on_ddl_command_end()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    q text := current_query();
    objs jsonb;
    own_triggers_only boolean;
    created oid;
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'type', object_type, 'schema', schema_name, 'identity', object_identity,
               'original', true)), '[]'::jsonb),
           bool_and(object_type = 'trigger' AND firebreak.is_own_trigger(objid))
      INTO objs, own_triggers_only
      FROM pg_event_trigger_ddl_commands();
    -- The CREATE TRIGGER commands run below fire this trigger again. Reporting them would add
    -- three events to every CREATE TABLE; hiding exactly our own triggers hides no loss of
    -- coverage (anything else named like them is still reported).
    IF tg_tag = 'CREATE TRIGGER' AND own_triggers_only THEN
        RETURN;
    END IF;
    PERFORM firebreak.emit('ddl_command_end', current_user::text, jsonb_build_object(
        'tag', tg_tag,
        'statement', left(q, ${statement_max_chars}),
        'statement_length', length(q),
        'objects', objs));
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

INSERT INTO firebreak.schema_version (version, description)
VALUES (2, 'statement-level DML capture: DELETE/UPDATE row counts, TRUNCATE, auto-watch of new tables')
ON CONFLICT (version) DO NOTHING;
