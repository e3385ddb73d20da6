-- Version 10: the UPDATE gate only where an UPDATE could reach its threshold.
--
-- With routine DML summarised (dml.routine = summary) the gate passes an UPDATE on only when it
-- changed at least firebreak.routine_below() rows (100 by default). A statement changes each row
-- once, so on a table holding fewer rows the gate can never pass anything on, yet its two trigger
-- functions still run for every UPDATE: about 10 us of backend time per UPDATE (V9's measurements).
-- Small tables are where UPDATEs are hottest (counters, queues, job states; pgbench's branches and
-- tellers), so such a table now carries only the DELETE and TRUNCATE triggers.
--
--   firebreak.update_gate_wanted(t)  whether t needs the gate: always in statement mode (which
--                                    reports every UPDATE there) and on partitioned tables; on an
--                                    ordinary table when PostgreSQL's statistics say it holds at
--                                    least routine_below() rows (the larger of pg_class.reltuples
--                                    and the live rows counted, this session's pending ones too);
--   firebreak.audit_triggers(t)      what watch_table creates on t: the list, the two UPDATE
--                                    triggers only where the gate is wanted or already (partly) there;
--   firebreak.expected_triggers(t)   how many of ours t must carry exactly, for watch_plan, tampered
--                                    and so integrity: the gate's two only once t carries any of it,
--                                    so these checks read no statistics;
--   firebreak.update_gate_plan()     tables whose gate should be added (they grew, or the mode or
--                                    threshold moved) or removed (exactly ours, no longer wanted).
--                                    Ingest's integrity sweep adds (every integrity.interval.ms) and
--                                    reports a table it cannot gate; the installer adds and removes;
--                                    refresh_gates (mode switch, policy change) adds in its caller's
--                                    transaction.
--
-- A table is judged by its statistics, never by reading it: the sweep takes no lock on it. What
-- this gives up: an UPDATE of a table that grew past the threshold since the last sweep (a few
-- seconds, plus up to a second until the inserting session's statistics are flushed) is reported
-- by the summary after it commits instead of judged before. A gate is never removed while ingest
-- runs, only by the installer, so a table that shrinks keeps it. Dropping both UPDATE triggers of
-- a table (a superuser may; anyone else is refused) now reads as a table without its gate, which
-- the next sweep puts back; the DROP TRIGGER itself is still reported and judged as tampering.

CREATE OR REPLACE FUNCTION firebreak.update_gate_wanted(p_table oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE WHEN NOT firebreak.routine_summarized() OR c.relkind <> 'r' THEN true
                ELSE greatest(c.reltuples::bigint,
                              pg_stat_get_live_tuples(c.oid)
                              + pg_stat_get_xact_tuples_inserted(c.oid) - pg_stat_get_xact_tuples_deleted(c.oid))
                     >= firebreak.routine_below()
           END
      FROM pg_class c
     WHERE c.oid = p_table
$fn$;

-- Whether p_table carries any trigger named like our UPDATE gate triggers: a gate it has stays (only
-- the installer removes it, when it is exactly ours), and one half of it is the whole's to complete.
CREATE OR REPLACE FUNCTION firebreak.carries_update_gate(p_table oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT EXISTS (SELECT 1 FROM pg_trigger t JOIN firebreak.audit_triggers() a ON a.name = t.tgname
                    WHERE t.tgrelid = p_table AND a.event = 'UPDATE')
$fn$;

-- The triggers p_table should carry: V9's list, the UPDATE gate where the table has (part of) it or
-- wants it. What watch_table creates.
CREATE OR REPLACE FUNCTION firebreak.audit_triggers(p_table oid)
RETURNS TABLE (name name, event text, timing text, func regprocedure, tgtype smallint, old_table name)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT a.name, a.event, a.timing, a.func, a.tgtype, a.old_table
      FROM firebreak.audit_triggers() a
     WHERE a.event <> 'UPDATE' OR firebreak.carries_update_gate(p_table) OR firebreak.update_gate_wanted(p_table)
$fn$;

-- How many triggers of ours a watched table must carry exactly, without reading its statistics: all
-- of the list once it carries part of the gate, else all but the gate's. A table that lacks a gate
-- it now wants is firebreak.update_gate_plan()'s to gate, not a problem of integrity.
CREATE OR REPLACE FUNCTION firebreak.expected_triggers(p_table oid)
RETURNS bigint
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT count(*) FROM firebreak.audit_triggers() a
     WHERE a.event <> 'UPDATE' OR firebreak.carries_update_gate(p_table)
$fn$;

-- V7's watch_table, creating the triggers of the table's own list.
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
    FOR a IN SELECT * FROM firebreak.audit_triggers(p_table) LOOP
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

-- Removes the two UPDATE triggers from a table that no longer wants them, when both are exactly
-- ours; returns whether it did. The installer's step, in its own short transaction per table.
CREATE OR REPLACE FUNCTION firebreak.ungate_table(p_table regclass)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r record;
    changed boolean := false;
BEGIN
    IF firebreak.update_gate_wanted(p_table)
       OR (SELECT count(*) FROM pg_trigger t JOIN firebreak.audit_triggers() a ON a.name = t.tgname
            WHERE t.tgrelid = p_table AND a.event = 'UPDATE' AND firebreak.is_own_trigger(t.oid))
          < (SELECT count(*) FROM firebreak.audit_triggers() a WHERE a.event = 'UPDATE') THEN
        RETURN false;
    END IF;
    FOR r IN SELECT a.name FROM firebreak.audit_triggers() a WHERE a.event = 'UPDATE' ORDER BY a.name LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', r.name, p_table);
        changed := true;
    END LOOP;
    RETURN changed;
END;
$fn$;

-- V8's plan against each table's own count (firebreak.expected_triggers).
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
             WHERE CASE WHEN p.wanted THEN p.own < firebreak.expected_triggers(p.oid) ELSE p.named > 0 END
            OFFSET 0) d
     WHERE pg_catalog.pg_relation_size(d.oid) IS NOT NULL
     ORDER BY d.oid
$fn$;

-- V7's check against the table's own count; any trigger named like ours that is not exactly ours
-- counts too.
CREATE OR REPLACE FUNCTION firebreak.tampered(p_table oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT named > 0 AND (own < named OR own < firebreak.expected_triggers(p_table) OR NOT firebreak.dml_wanted(p_table))
      FROM (SELECT (SELECT count(*) FROM pg_trigger t JOIN firebreak.audit_triggers() a ON a.name = t.tgname
                     WHERE t.tgrelid = p_table) AS named,
                   (SELECT count(*) FROM pg_trigger t
                     WHERE t.tgrelid = p_table AND firebreak.is_own_trigger(t.oid)) AS own) c
$fn$;

-- Watched tables whose UPDATE gate should change: gate = true, a table that carries every other
-- trigger of ours exactly and none of the UPDATE ones, and now wants them (it grew, or the mode or
-- the threshold moved); gate = false, a table carrying exactly our UPDATE triggers that no longer
-- wants them. Anything else amiss is tampering or a missing watch, for watch_plan and integrity.
CREATE OR REPLACE FUNCTION firebreak.update_gate_plan()
RETURNS TABLE (rel regclass, gate boolean)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT d.oid::regclass, d.gate
      FROM (SELECT p.oid, p.update_named = 0 AS gate
              FROM (SELECT c.oid, o.update_named, o.update_own, o.other_own
                      FROM pg_class c
                     CROSS JOIN LATERAL (
                           SELECT count(*) FILTER (WHERE x.event = 'UPDATE') AS update_named,
                                  count(*) FILTER (WHERE x.event = 'UPDATE' AND x.own) AS update_own,
                                  count(*) FILTER (WHERE x.event <> 'UPDATE' AND x.own) AS other_own
                             FROM (SELECT a.event, firebreak.is_own_trigger(t.oid) AS own
                                     FROM pg_trigger t JOIN firebreak.audit_triggers() a ON a.name = t.tgname
                                    WHERE t.tgrelid = c.oid) x) o
                     WHERE c.relkind = 'r' AND firebreak.dml_wanted(c.oid)) p,
                   (SELECT count(*) FILTER (WHERE a.event = 'UPDATE') AS update_all,
                           count(*) FILTER (WHERE a.event <> 'UPDATE') AS other_all
                      FROM firebreak.audit_triggers() a) l
             WHERE l.update_all > 0
               AND p.other_own = l.other_all
               AND CASE WHEN p.update_named = 0 THEN firebreak.update_gate_wanted(p.oid)
                        WHEN p.update_own = l.update_all AND p.update_named = l.update_all
                            THEN NOT firebreak.update_gate_wanted(p.oid)
                        ELSE false END
            OFFSET 0) d
     WHERE pg_catalog.pg_relation_size(d.oid) IS NOT NULL
     ORDER BY d.oid
$fn$;

-- V7's repair, now also adding the gate to every table that wants it and lacks it, in the caller's
-- transaction: switching to statement mode (set_routine_capture) or lowering the threshold
-- (apply_policy) gates the small tables as part of the change, so no UPDATE runs in between unseen.
-- Removing gates is left to the installer, table by table.
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
    FOR r IN SELECT t.tgrelid::regclass
               FROM pg_trigger t
              WHERE t.tgname IN ('firebreak_audit_update', 'firebreak_audit_update_mark')
                AND NOT firebreak.is_own_trigger(t.oid)
                AND firebreak.dml_wanted(t.tgrelid)
             UNION
             SELECT p.rel FROM firebreak.update_gate_plan() p WHERE p.gate LOOP
        IF firebreak.watch_table(r) THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END;
$fn$;

REVOKE ALL ON FUNCTION firebreak.refresh_gates() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.update_gate_wanted(oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.carries_update_gate(oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.audit_triggers(oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.expected_triggers(oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.watch_table(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.ungate_table(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.watch_plan() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.update_gate_plan() FROM PUBLIC;

INSERT INTO firebreak.schema_version (version, description)
VALUES (10, 'the UPDATE gate only on tables holding enough rows for an UPDATE to reach its threshold')
ON CONFLICT (version) DO NOTHING;
