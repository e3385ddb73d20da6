-- The installed body of a function. Parameter: its signature, e.g. firebreak.killswitch_lock(text,integer[],text[],boolean,boolean).
SELECT p.prosrc FROM pg_proc p WHERE p.oid = to_regprocedure(?)
