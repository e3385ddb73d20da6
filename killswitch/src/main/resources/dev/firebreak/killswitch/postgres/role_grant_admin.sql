-- The GRANT that lets the kill switch role lock one role: ADMIN without INHERIT and SET, so it cannot use
-- the role privileges. Parameters: the role to lock, the kill switch role.
SELECT format('GRANT %I TO %I WITH ADMIN TRUE, INHERIT FALSE, SET FALSE', ?::text, ?::text)
