-- Firebreak agent action log: agent frameworks INSERT one row per action they take; Firebreak's
-- Debezium engine reads the inserts through the publication ${publication}.
-- Applied by AgentActionTableInstaller at every start. Every step checks before it acts, so a
-- re-run changes nothing and emits no DDL events (the event triggers would report each one).
--
-- Privileges: nobody but the owner may touch the table until the operator grants the frameworks'
-- logging roles INSERT (and USAGE on firebreak.agent_actions_id_seq). The log is append-only:
-- Firebreak reports every UPDATE or DELETE of a row as AGENT_LOG_TAMPERED and every TRUNCATE to the
-- dead-letter topic. To prune old rows, remove the table from the publication first
-- (ALTER PUBLICATION ... DROP TABLE, itself an audited DDL event) and add it back afterwards.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '${publication}') THEN
        RAISE EXCEPTION 'publication ${publication} does not exist: install the Firebreak capture objects first';
    END IF;
    IF to_regclass('firebreak.agent_actions') IS NULL THEN
        CREATE SCHEMA IF NOT EXISTS firebreak;
        CREATE TABLE firebreak.agent_actions (
            id                 bigserial PRIMARY KEY,
            agent_id           text NOT NULL,
            run_id             text,
            credential         text,
            tool               text NOT NULL,
            input              text NOT NULL,
            target_environment text,
            occurred_at        timestamptz NOT NULL DEFAULT now()
        );
        -- Explicit even though it is the default: ALTER DEFAULT PRIVILEGES may have granted more.
        REVOKE ALL ON firebreak.agent_actions FROM PUBLIC;
        REVOKE ALL ON SEQUENCE firebreak.agent_actions_id_seq FROM PUBLIC;
    END IF;
    -- Full before-images: an UPDATE or DELETE of a logged action must still say whose it was.
    IF (SELECT relreplident FROM pg_class WHERE oid = 'firebreak.agent_actions'::regclass) <> 'f' THEN
        ALTER TABLE firebreak.agent_actions REPLICA IDENTITY FULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = '${publication}'
                   AND schemaname = 'firebreak' AND tablename = 'agent_actions') THEN
        ALTER PUBLICATION ${publication} ADD TABLE firebreak.agent_actions;
    END IF;
END;
$do$;
