-- Reinstates one role (killswitch_restore.sql). Parameters: role, previous state (json text), dry run.
SELECT status, now_login, detail FROM firebreak.killswitch_restore(?, ?::jsonb, ?)
