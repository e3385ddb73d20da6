-- Every session of the role, each with whether the signal was sent; run only after the lock committed.
-- Parameter: role.
SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ? AND pid <> pg_backend_pid()
