-- CREATE SCHEMA IF NOT EXISTS still demands CREATE on the database; skip it when the schema exists.
DO $$BEGIN IF to_regnamespace('firebreak') IS NULL THEN CREATE SCHEMA firebreak; END IF; END$$
