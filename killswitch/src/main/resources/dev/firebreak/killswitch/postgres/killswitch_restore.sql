-- The restore function of the kill switch: puts back what killswitch_lock recorded in previous_state.
-- Its version is in the first comment of the body; installed like killswitch_lock.sql.
CREATE OR REPLACE FUNCTION firebreak.killswitch_restore(
    role_name text, previous jsonb, dry_run boolean, OUT status text, OUT now_login boolean, OUT detail text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $firebreak$
-- firebreak kill switch restore, version 1.
DECLARE
    target record;
    db text;
BEGIN
    SELECT r.oid, r.rolsuper, r.rolcanlogin INTO target FROM pg_roles r WHERE r.rolname = role_name;
    IF NOT FOUND THEN
        status := 'NOT_FOUND';
        detail := 'role does not exist';
        RETURN;
    END IF;
    IF jsonb_typeof(previous -> 'login') IS DISTINCT FROM 'boolean'
            OR jsonb_typeof(coalesce(previous -> 'connect', '[]')) IS DISTINCT FROM 'array' THEN
        status := 'BAD_STATE';
        detail := 'previous state is not {"login": bool, "connect": [databases]}: ' || previous::text;
        RETURN;
    END IF;
    IF dry_run THEN
        status := 'DRY_RUN';
        detail := CASE WHEN (previous ->> 'login')::boolean AND NOT target.rolcanlogin THEN 'would set LOGIN'
            ELSE 'login stays ' || CASE WHEN target.rolcanlogin THEN 'LOGIN' ELSE 'NOLOGIN' END END
            || ', would grant CONNECT on ' || coalesce(previous -> 'connect', '[]')::text;
        RETURN;
    END IF;
    IF (previous ->> 'login')::boolean AND NOT target.rolcanlogin THEN
        EXECUTE format('ALTER ROLE %I LOGIN', role_name);
    END IF;
    FOR db IN SELECT jsonb_array_elements_text(coalesce(previous -> 'connect', '[]')) LOOP
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', db, role_name);
    END LOOP;
    SELECT r.rolcanlogin INTO now_login FROM pg_roles r WHERE r.oid = target.oid;
    status := 'REINSTATED';
    detail := '';
END
$firebreak$;
