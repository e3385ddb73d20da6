-- The sessions of a role, other than this one. Parameter: role.
SELECT pid FROM pg_stat_activity WHERE usename = ? AND pid <> pg_backend_pid()
