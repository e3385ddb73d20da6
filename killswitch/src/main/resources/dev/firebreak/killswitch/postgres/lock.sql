-- Locks one role (killswitch_lock.sql). Parameters: role, event pids (int4[]), protected roles (text[]),
-- dry run, revoke CONNECT.
SELECT status, was_login, terminated, ignored, detail, revoked_connect, connect_left, previous_state
FROM firebreak.killswitch_lock(?, ?, ?, ?, ?)
