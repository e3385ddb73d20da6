-- What the connected role lacks to lock roles, one row per missing privilege.
-- Parameters: the protected roles (text[]), whether pg.revoke.connect is on (boolean).
WITH me AS (SELECT r.oid, r.rolsuper, r.rolcreaterole FROM pg_roles r WHERE r.rolname = current_user)
SELECT 'CREATEROLE' FROM me WHERE NOT me.rolsuper AND NOT me.rolcreaterole
UNION ALL
SELECT 'membership in pg_signal_backend (with INHERIT)' FROM me
    WHERE NOT me.rolsuper AND NOT pg_has_role(me.oid, 'pg_signal_backend', 'USAGE')
UNION ALL
(SELECT 'ADMIN OPTION on role ' || quote_ident(r.rolname) FROM pg_roles r, me
    WHERE NOT me.rolsuper AND r.rolcanlogin AND NOT r.rolsuper AND r.oid <> me.oid
      AND r.rolname <> ALL (?) AND NOT pg_has_role(me.oid, r.oid, 'MEMBER WITH ADMIN OPTION')
    ORDER BY r.rolname)
UNION ALL
(SELECT 'membership in the owner of database ' || quote_ident(d.datname) || ' (for pg.revoke.connect)'
    FROM pg_database d, me
    WHERE ? AND NOT me.rolsuper AND d.datallowconn AND NOT pg_has_role(me.oid, d.datdba, 'USAGE')
    ORDER BY d.datname)
