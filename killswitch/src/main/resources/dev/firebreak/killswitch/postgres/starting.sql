-- Backends inside a transaction. A login checks rolcanlogin inside its start-up transaction, which
-- begins before that check and ends only after the backend shows in pg_stat_activity; read before
-- sessions.sql, a pid here that is not there is a login still starting, which may have passed the
-- check before the role was locked. Prepared transactions (pid NULL) are no logins.
SELECT pid FROM pg_locks WHERE locktype = 'virtualxid' AND pid IS NOT NULL AND pid <> pg_backend_pid()
