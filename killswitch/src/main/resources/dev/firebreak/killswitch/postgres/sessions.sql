-- Every other backend pg_stat_activity shows, and whether it is a session of the role. A backend
-- shows here only at the end of its start-up (pgstat_bestart); starting.sql covers the time before.
-- Parameter: role.
SELECT pid, usename IS NOT DISTINCT FROM ? FROM pg_stat_activity WHERE pid <> pg_backend_pid()
