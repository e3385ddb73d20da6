-- Removes everything TriggerInstaller put into this database, in one transaction.
-- ${publication} is filled in by TriggerInstaller. The replication slot is not touched: it
-- belongs to the capture engine, and dropping it while the engine streams would fail anyway.

-- Event triggers first, so that the drops below are neither reported nor intercepted.
DROP EVENT TRIGGER IF EXISTS firebreak_ddl_command_end;
DROP EVENT TRIGGER IF EXISTS firebreak_sql_drop;
DROP EVENT TRIGGER IF EXISTS firebreak_ddl_command_start;

-- The audit triggers on user tables depend on functions in schema firebreak; DROP SCHEMA CASCADE
-- below would take them too, but dropping them by name keeps the removal explicit and leaves any
-- other object that happens to use a Firebreak function to fail the uninstall loudly.
DO $do$
DECLARE
    t record;
BEGIN
    IF to_regnamespace('firebreak') IS NULL THEN
        RETURN;
    END IF;
    FOR t IN SELECT tr.tgrelid::regclass AS rel, tr.tgname
               FROM pg_trigger tr
               JOIN pg_proc p ON p.oid = tr.tgfoid
              WHERE p.pronamespace = 'firebreak'::regnamespace
                AND NOT tr.tgisinternal LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
    END LOOP;
END;
$do$;

DROP PUBLICATION IF EXISTS ${publication};

DROP SCHEMA IF EXISTS firebreak CASCADE;

-- Version 1 revoked EXECUTE on pg_logical_emit_message from PUBLIC so that only firebreak.emit
-- could write audit messages. With Firebreak gone, give back whatever the server started with
-- (PUBLIC may execute it in a stock PostgreSQL 17): the privileges recorded at initdb, or the
-- built-in default when none were recorded.
DO $do$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid
               FROM pg_proc p
              WHERE p.proname = 'pg_logical_emit_message'
                AND p.pronamespace = 'pg_catalog'::regnamespace
                AND EXISTS (
                    SELECT 1
                      FROM aclexplode(coalesce(
                               (SELECT i.initprivs FROM pg_init_privs i
                                 WHERE i.objoid = p.oid AND i.classoid = 'pg_proc'::regclass AND i.objsubid = 0),
                               acldefault('f', p.proowner))) acl
                     WHERE acl.grantee = 0 AND acl.privilege_type = 'EXECUTE') LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f);
    END LOOP;
END;
$do$;

-- Version 5's summary mode made pg_stat_statements track statements inside functions in this
-- database. The extension stays (other tools may read it); the setting goes back to the server's.
DO $do$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
                WHERE d.datname = current_database() AND s.setrole = 0
                  AND EXISTS (SELECT 1 FROM unnest(s.setconfig) c WHERE c LIKE 'pg_stat_statements.track=%')) THEN
        EXECUTE format('ALTER DATABASE %I RESET pg_stat_statements.track', current_database());
    END IF;
END;
$do$;
