-- The login roles the kill switch role may lock: no superuser, not itself, not protected, and when a list
-- is given only those. Parameters: the kill switch role, protected roles (text[]), the list (text[]) twice.
SELECT r.rolname FROM pg_roles r
WHERE r.rolcanlogin AND NOT r.rolsuper AND r.rolname <> ? AND r.rolname <> ALL (?) AND r.rolname <> current_user
  AND (cardinality(?::text[]) = 0 OR r.rolname = ANY (?))
ORDER BY r.rolname
