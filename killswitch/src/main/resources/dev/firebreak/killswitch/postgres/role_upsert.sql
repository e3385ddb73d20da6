-- Creates or updates the kill switch role with least privilege (KillSwitchRoleInstaller). Reads the role
-- name and the new password (empty: keep) from the transaction settings firebreak.ks_role, firebreak.ks_password.
DO $$BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_setting('firebreak.ks_role')) THEN
    EXECUTE format('CREATE ROLE %I', current_setting('firebreak.ks_role'));
  END IF;
  EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT',
    current_setting('firebreak.ks_role'));
  IF current_setting('firebreak.ks_password') <> '' THEN
    EXECUTE format('ALTER ROLE %I PASSWORD %L', current_setting('firebreak.ks_role'),
      current_setting('firebreak.ks_password'));
  END IF;
  -- NOINHERIT is the role's default; this one grant must be inherited to be of any use.
  EXECUTE format('GRANT pg_signal_backend TO %I WITH INHERIT TRUE', current_setting('firebreak.ks_role'));
  IF to_regnamespace('firebreak') IS NULL THEN
    CREATE SCHEMA firebreak;
  END IF;
  EXECUTE format('GRANT USAGE, CREATE ON SCHEMA firebreak TO %I', current_setting('firebreak.ks_role'));
  -- strict mode's heartbeat (ingest's V4); the function lets this role beat for itself only
  IF to_regprocedure('firebreak.beat(text, text)') IS NOT NULL THEN
    EXECUTE format('GRANT EXECUTE ON FUNCTION firebreak.beat(text, text) TO %I', current_setting('firebreak.ks_role'));
  END IF;
END$$
