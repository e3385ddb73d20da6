-- Ends the given sessions of a role. pg_terminate_backend sits in the select list, so it only runs for
-- rows that passed the role filter. Parameters: role, pids (int4[]).
SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ? AND pid = ANY (?)
