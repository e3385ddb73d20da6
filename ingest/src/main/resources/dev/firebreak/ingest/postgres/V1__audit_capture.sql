-- Firebreak audit capture, version 1.
-- Every statement is idempotent: the installer may run it again on an installed database.
-- ${statement_max_chars} and ${message_prefix} are filled in by TriggerInstaller.

CREATE SCHEMA IF NOT EXISTS firebreak;
REVOKE ALL ON SCHEMA firebreak FROM PUBLIC;
-- Event triggers run as the role issuing the DDL, so every role must reach the trigger functions.
GRANT USAGE ON SCHEMA firebreak TO PUBLIC;

CREATE TABLE IF NOT EXISTS firebreak.schema_version (
    version      integer PRIMARY KEY,
    description  text NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
REVOKE ALL ON firebreak.schema_version FROM PUBLIC;

-- Only this SECURITY DEFINER function may emit audit messages: other roles calling
-- pg_logical_emit_message directly are refused, so they cannot forge events about others.
REVOKE EXECUTE ON FUNCTION pg_catalog.pg_logical_emit_message(boolean, text, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_catalog.pg_logical_emit_message(boolean, text, bytea, boolean) FROM PUBLIC;

-- The identity fields are computed here, never taken from the caller: p_body cannot override
-- them because they are merged last. current_user is the definer inside this function, so the
-- caller's effective role comes in as p_effective_user (it cannot change the principal, which is
-- session_user). Non-transactional and flushed: decoding sees it before the statement commits,
-- and it survives the rollback that a kill causes.
CREATE OR REPLACE FUNCTION firebreak.emit(p_kind text, p_effective_user text, p_body jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM pg_catalog.pg_logical_emit_message(false, '${message_prefix}',
        (p_body || jsonb_build_object(
            'v', 1,
            'kind', p_kind,
            'session_user', session_user::text,
            'effective_user', p_effective_user,
            'role_setting', current_setting('role', true),
            'backend_pid', pg_backend_pid(),
            'txid', pg_current_xact_id_if_assigned()::text,
            'application_name', current_setting('application_name', true),
            'client_addr', host(inet_client_addr()),
            'database', current_database(),
            'clock_us', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
        ))::text,
        true);
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.emit(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION firebreak.emit(text, text, jsonb) TO PUBLIC;

-- Every object a DROP removed, CASCADE victims included; implicit parts (row types, toast
-- tables) are left out because they only repeat their table.
CREATE OR REPLACE FUNCTION firebreak.on_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    q text := current_query();
    objs jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'type', object_type, 'schema', schema_name, 'name', object_name,
               'identity', object_identity, 'original', original)), '[]'::jsonb)
      INTO objs
      FROM pg_event_trigger_dropped_objects()
     WHERE original OR normal;
    PERFORM firebreak.emit('sql_drop', current_user::text, jsonb_build_object(
        'tag', tg_tag,
        'statement', left(q, ${statement_max_chars}),
        'statement_length', length(q),
        'objects', objs));
END;
$fn$;

CREATE OR REPLACE FUNCTION firebreak.on_ddl_command_end()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    q text := current_query();
    objs jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'type', object_type, 'schema', schema_name, 'identity', object_identity,
               'original', true)), '[]'::jsonb)
      INTO objs
      FROM pg_event_trigger_ddl_commands();
    PERFORM firebreak.emit('ddl_command_end', current_user::text, jsonb_build_object(
        'tag', tg_tag,
        'statement', left(q, ${statement_max_chars}),
        'statement_length', length(q),
        'objects', objs));
END;
$fn$;

DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'firebreak_sql_drop') THEN
        CREATE EVENT TRIGGER firebreak_sql_drop ON sql_drop EXECUTE FUNCTION firebreak.on_sql_drop();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'firebreak_ddl_command_end') THEN
        CREATE EVENT TRIGGER firebreak_ddl_command_end ON ddl_command_end
            EXECUTE FUNCTION firebreak.on_ddl_command_end();
    END IF;
    -- Messages flow through pgoutput only with a publication; row changes join it table by
    -- table later, so it starts empty.
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '${publication}') THEN
        CREATE PUBLICATION ${publication};
    END IF;
END;
$do$;

INSERT INTO firebreak.schema_version (version, description)
VALUES (1, 'audit capture: emit function, sql_drop and ddl_command_end event triggers')
ON CONFLICT (version) DO NOTHING;
