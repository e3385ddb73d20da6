-- Hands the existing kill switch functions to the kill switch role, so it can upgrade them.
DO $$DECLARE f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'firebreak' AND p.proname IN ('killswitch_lock', 'killswitch_restore') LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO %I', f, current_setting('firebreak.ks_role'));
  END LOOP;
END$$
