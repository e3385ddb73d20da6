-- Version 11: the UPDATE gate's AFTER function no longer sets its own search_path.
--
-- firebreak.on_update_gate() runs after every UPDATE statement of a gated table, and V9 declared it
-- SECURITY DEFINER with SET search_path. That clause is not free: PostgreSQL saves the caller's
-- search_path, sets and checks the function's, and restores the caller's on every call, and the
-- namespace look-ups that follow start again. Measured on PostgreSQL 17 with pgbench -M prepared,
-- one client, one single-row UPDATE of pgbench_accounts per transaction, synchronous_commit=off,
-- the backend's CPU per transaction from /proc, variants taking turns: no triggers about 120 us,
-- V9's two functions +37 to +43 us, the gate without the clause +28 to +40 (median of seven
-- sessions 31); round by round 2 to 11 us less. The rest is two PL/pgSQL trigger calls per
-- UPDATE (an empty one costs about 6.5 us) and their expressions, set up again in every
-- transaction (docs/benchmarks.md, V11).
--
-- Without the clause the function runs, as its owner, in whatever search_path the updating
-- session chose, so nothing in it may be looked up there: every function, operator and type is
-- qualified with its schema, including the declared variables' types (a session could otherwise
-- put a domain named "text" in pg_temp whose CHECK runs its own function as the owner). NULLIF is
-- not used, since it finds its = operator through the path: '0' || mark reads a missing or empty
-- mark as 0, as V9 did. The slow path calls firebreak.row_change, which keeps its own
-- search_path. The BEFORE function firebreak.on_update_mark() was already written this way.

CREATE OR REPLACE FUNCTION firebreak.on_update_gate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
AS $fn$
DECLARE
    n pg_catalog.int8;
    ctx pg_catalog.text;
BEGIN
    IF tg_nargs OPERATOR(pg_catalog.>) 0 THEN
        n := pg_catalog.pg_stat_get_xact_tuples_updated(tg_relid)
             OPERATOR(pg_catalog.-)
             ('0' OPERATOR(pg_catalog.||)
              COALESCE(pg_catalog.current_setting('firebreak.ub_' OPERATOR(pg_catalog.||) tg_relid::pg_catalog.text, true),
                       ''))::pg_catalog.int8;
        -- summary mode reports routine UPDATEs from pg_stat_statements; statement mode every one here
        IF n OPERATOR(pg_catalog.<) (CASE WHEN firebreak.routine_summarized() THEN firebreak.routine_below() ELSE 1 END) THEN
            RETURN NULL;
        END IF;
    ELSE
        n := firebreak.partition_updates(tg_relid);
    END IF;
    IF n OPERATOR(pg_catalog.<=) 0 THEN
        RETURN NULL;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    PERFORM firebreak.row_change(tg_op, tg_relid, tg_table_schema, tg_table_name, n, ctx);
    RETURN NULL;
END;
$fn$;

REVOKE ALL ON FUNCTION firebreak.on_update_gate() FROM PUBLIC;

INSERT INTO firebreak.schema_version (version, description)
VALUES (11, 'the UPDATE gate''s AFTER function without a search_path of its own, every name qualified')
ON CONFLICT (version) DO NOTHING;
