-- The lock function of the kill switch; its version is in the first comment of the body. PostgresRevoker
-- installs it when the installed body differs from the one below, so restarts replace nothing.
-- SECURITY INVOKER (the default) on purpose: it can do no more than the kill switch role.
CREATE OR REPLACE FUNCTION firebreak.killswitch_lock(
    role_name text, extra_pids integer[], protected_roles text[], dry_run boolean, revoke_connect boolean,
    OUT status text, OUT was_login boolean, OUT terminated integer[], OUT ignored integer[],
    OUT revoked_connect text[], OUT connect_left text[], OUT previous_state text, OUT detail text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $firebreak$
-- firebreak kill switch, version 4: lock a role out (NOLOGIN, optionally its explicit CONNECT
-- grants) and say what the role was like before. Its sessions are ended by the caller's next
-- statement, once this one has committed: the in-database guard reads rolcanlogin, so every
-- session must be able to see the lock before any sibling is terminated.
DECLARE
    target record;
    sessions integer[];
    victim int;
    refusal text;
    missing text;
    db text;
    connect_grants text[];
    lock_wait text;
BEGIN
    terminated := '{}';
    ignored := '{}';
    revoked_connect := '{}';
    SELECT r.oid, r.rolsuper, r.rolcanlogin INTO target FROM pg_roles r WHERE r.rolname = role_name;
    IF NOT FOUND THEN
        status := 'NOT_FOUND';
        detail := 'role does not exist';
        ignored := coalesce(extra_pids, '{}');
        RETURN;
    END IF;
    was_login := target.rolcanlogin;
    connect_grants := '{}';
    IF revoke_connect THEN
        SELECT coalesce(array_agg(d.datname::text ORDER BY d.datname), '{}') INTO connect_grants
            FROM pg_database d, aclexplode(d.datacl) a
            WHERE a.grantee = target.oid AND a.privilege_type = 'CONNECT';
    END IF;
    refusal := CASE
        WHEN target.rolsuper THEN 'role is a superuser'
        WHEN role_name = session_user THEN 'role is the kill switch''s own role'
        WHEN role_name = ANY (protected_roles) THEN 'role is in the configured protected list'
    END;
    -- PostgreSQL 16+ lets CREATEROLE alter only roles it administers. A role created a moment
    -- ago has no grant yet; the caller retries until the installer (or local's granter) gives it.
    IF target.rolcanlogin AND NOT pg_has_role(current_user, target.oid, 'MEMBER WITH ADMIN OPTION') THEN
        missing := 'ADMIN OPTION on role ' || quote_ident(role_name);
    END IF;
    IF dry_run THEN
        -- Only a dry run scans pg_stat_activity here: each scan snapshots every backend, and the
        -- real lock must become visible as early as possible.
        SELECT coalesce(array_agg(a.pid ORDER BY a.pid), '{}') INTO sessions FROM pg_stat_activity a
            WHERE a.usesysid = target.oid AND a.pid <> pg_backend_pid();
        SELECT coalesce(array_agg(p ORDER BY p), '{}') INTO ignored FROM unnest(extra_pids) p
            WHERE p <> ALL (sessions);
        status := 'DRY_RUN';
        detail := coalesce('would refuse: ' || refusal, (CASE WHEN target.rolcanlogin
            THEN 'would set NOLOGIN' ELSE 'role is already NOLOGIN' END)
            || coalesce(' once granted the missing ' || missing, '') || ', would terminate sessions '
            || sessions::text || CASE WHEN cardinality(connect_grants) > 0
            THEN ', would revoke CONNECT on ' || connect_grants::text ELSE '' END);
        RETURN;
    END IF;
    IF refusal IS NOT NULL THEN
        status := 'PROTECTED';
        detail := refusal;
        RETURN;
    END IF;
    IF missing IS NOT NULL THEN
        status := 'MISSING_PRIVILEGE';
        detail := missing;
        RETURN;
    END IF;
    IF target.rolcanlogin THEN
        BEGIN
            -- A transaction that ran ALTER ROLE on this role (its own PASSWORD, say) holds the
            -- role's pg_authid row until it ends; waiting for it would stall the lock up to the
            -- statement timeout. 20 ms is far above an uncontended ALTER (about 0.3 ms).
            lock_wait := current_setting('lock_timeout');
            PERFORM set_config('lock_timeout', '20ms', true);
            EXECUTE format('ALTER ROLE %I NOLOGIN', role_name);
            PERFORM set_config('lock_timeout', lock_wait, true);
        EXCEPTION WHEN lock_not_available THEN
            -- Only a session with a transaction id can hold the row. Ending those of the role
            -- before the lock is the one exception to lock-first: without it there is no lock.
            -- The block's rollback has restored lock_timeout, so this ALTER waits for their exit.
            FOR victim IN SELECT a.pid FROM pg_stat_activity a WHERE a.usesysid = target.oid
                    AND a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid() ORDER BY a.pid LOOP
                IF pg_terminate_backend(victim) THEN
                    terminated := terminated || victim;
                END IF;
            END LOOP;
            EXECUTE format('ALTER ROLE %I NOLOGIN', role_name);
        END;
    END IF;
    -- REVOKE by a non-owner only warns when it may not revoke; what is left is checked below.
    FOREACH db IN ARRAY connect_grants LOOP
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', db, role_name);
    END LOOP;
    SELECT coalesce(array_agg(d.datname::text ORDER BY d.datname), '{}') INTO connect_left
        FROM pg_database d, aclexplode(d.datacl) a
        WHERE revoke_connect AND a.grantee = target.oid AND a.privilege_type = 'CONNECT';
    SELECT coalesce(array_agg(g ORDER BY g), '{}') INTO revoked_connect FROM unnest(connect_grants) g
        WHERE g <> ALL (connect_left);
    previous_state := jsonb_build_object('login', target.rolcanlogin, 'connect', to_jsonb(revoked_connect))::text;
    -- Sessions ended by the caller afterwards count as a change there; here only what this call did.
    status := CASE WHEN target.rolcanlogin OR cardinality(revoked_connect) > 0
        THEN 'REVOKED' ELSE 'ALREADY_REVOKED' END;
    detail := '';
END
$firebreak$;
