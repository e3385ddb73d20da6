-- Firebreak, version 6: blast radius as data.
-- Every statement is idempotent: the installer may run it again on an installed database.
-- ${statement_max_chars} and ${message_prefix} are filled in by TriggerInstaller.
--
-- Counting statements, objects or rows cannot tell an incident from a tool doing its job; what
-- was destroyed, and what it was worth, can. Every destructive event now carries, as measured by
-- PostgreSQL at the moment of destruction (attributes blast_*, documented in rules/firebreak.yaml):
--   rows and bytes a dropped or truncated relation held, rows a DELETE/UPDATE changed and the
--   fraction of its table; the age of what was destroyed and whether the same principal created
--   it in the same session or run; whether a dropped relation had just been replaced by a rename
--   swap (dbt's rebuild); whether it was a partition of a table that lives on (retention).
-- The guard may spare relations by the same measures (guard_rule.spare).
--
-- Cost: nothing on routine DML (the hot path is unchanged). A DROP pays a catalog lookup of the
-- relations its text names before it runs (bytes can no longer be measured once they are gone:
-- sql_drop sees dropped objects after their pg_class rows are deleted) and one row written to an
-- unlogged table per relation; a CREATE TABLE pays one insert into firebreak.relation_birth.

-- When and by whom each relation was created, written by the ddl_command_end trigger. Relations
-- older than the install have no row: their age is unknown, and rules treat them as old.
CREATE TABLE IF NOT EXISTS firebreak.relation_birth (
    relid         oid PRIMARY KEY,
    created_at    timestamptz NOT NULL,
    rolname       name NOT NULL,
    backend_pid   integer NOT NULL,
    backend_start timestamptz NOT NULL
);
REVOKE ALL ON firebreak.relation_birth FROM PUBLIC;

-- Renames (the name a relation had before) and partition detaches (the table it belonged to),
-- kept until the relation is dropped: a drop asks whether its victim was just swapped out.
CREATE TABLE IF NOT EXISTS firebreak.relation_change (
    relid         oid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('rename', 'detach')),
    old_identity  text,
    parent        oid,
    changed_at    timestamptz NOT NULL,
    rolname       name NOT NULL
);
CREATE INDEX IF NOT EXISTS relation_change_relid ON firebreak.relation_change (relid);
REVOKE ALL ON firebreak.relation_change FROM PUBLIC;

-- What ddl_command_start learnt about the relations a DROP or ALTER TABLE is about to touch, per
-- backend; read by the sql_drop / ddl_command_end trigger of the same statement. A table, not a
-- session setting: code the statement runs (a volatile column default during ALTER TABLE) could
-- set a setting, but cannot write here.
CREATE UNLOGGED TABLE IF NOT EXISTS firebreak.blast_pending (
    pid          integer NOT NULL,
    stamp        timestamptz NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('drop', 'rename', 'detach')),
    relid        oid NOT NULL,
    old_identity text,
    parent       oid,
    rows         bigint,
    bytes        bigint,
    PRIMARY KEY (pid, kind, relid)
);
REVOKE ALL ON firebreak.blast_pending FROM PUBLIC;

-- Guards may spare relations by blast measures: created_by_same_principal (in this session or
-- run), replaced (rename swap), partition (of a table that lives on). NULL: spare none.
ALTER TABLE firebreak.guard_rule ADD COLUMN IF NOT EXISTS spare text[];
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'guard_rule_spare_check'
                      AND conrelid = 'firebreak.guard_rule'::regclass) THEN
        ALTER TABLE firebreak.guard_rule ADD CONSTRAINT guard_rule_spare_check
            CHECK (spare <@ ARRAY['created_by_same_principal', 'replaced', 'partition']);
    END IF;
END;
$do$;

-- When this backend's session started: with the pid it names the session (pids are reused).
CREATE OR REPLACE FUNCTION firebreak.session_started()
RETURNS timestamptz
LANGUAGE sql
STABLE
AS $fn$ SELECT a.backend_start FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid()) a $fn$;

-- How long after its creation a relation still belongs to its creator's run (blast.run.window.s).
CREATE OR REPLACE FUNCTION firebreak.run_window()
RETURNS interval
LANGUAGE sql
STABLE
AS $fn$ SELECT make_interval(secs => firebreak.setting_value('blast.run.window.s', '3600')::double precision) $fn$;

-- Rows a relation holds as PostgreSQL's statistics know them, free of any scan: the planner's
-- estimate or the live-tuple counter with this transaction's own inserts and deletes, whichever
-- is larger. Still valid in sql_drop: a dropped relation's statistics go at commit.
CREATE OR REPLACE FUNCTION firebreak.stat_rows(p_relid oid)
RETURNS bigint
LANGUAGE sql
STABLE
AS $fn$
    SELECT greatest(coalesce((SELECT c.reltuples FROM pg_catalog.pg_class c WHERE c.oid = p_relid), 0)::bigint,
                    pg_catalog.pg_stat_get_live_tuples(p_relid) + pg_catalog.pg_stat_get_xact_tuples_inserted(p_relid)
                        - pg_catalog.pg_stat_get_xact_tuples_deleted(p_relid),
                    0)
$fn$;

-- Rows a relation holds: exact up to 1000 (a bounded scan, cheap), else the statistics. Tables
-- filled a moment ago have no statistics yet; small ones are counted, big ones are rarely that new.
CREATE OR REPLACE FUNCTION firebreak.rows_held(p_relid oid)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    estimate bigint := firebreak.stat_rows(p_relid);
    kind "char" := (SELECT c.relkind FROM pg_class c WHERE c.oid = p_relid);
BEGIN
    IF kind = 'p' THEN
        RETURN (SELECT coalesce(sum(firebreak.rows_held(t.relid)), 0) FROM pg_partition_tree(p_relid) t
                 WHERE t.isleaf AND t.relid <> p_relid);
    END IF;
    IF estimate < 1000 AND kind IN ('r', 'm') THEN
        RETURN greatest(estimate, firebreak.holds_at_least(p_relid, 1000));
    END IF;
    RETURN estimate;
END;
$fn$;

-- Statement text to look for relation names in: the innermost SQL statement when a function or
-- DO block ran it (PG_CONTEXT shows its text), else what the client sent. The text only says which
-- names to look up; every fact recorded comes from the catalog.
CREATE OR REPLACE FUNCTION firebreak.inner_statement(p_context text)
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
    SELECT coalesce(substring(p_context FROM '\nSQL statement "(.*?)"\n'), pg_catalog.current_query())
$fn$;

-- A possibly qualified, possibly quoted relation name, as regular expression text: a run of quoted
-- identifiers and characters that cannot end a name. Simple on purpose: PostgreSQL's regular
-- expressions are slow on nested alternatives, and a name read wrongly only leaves bytes unknown.
CREATE OR REPLACE FUNCTION firebreak.name_pattern()
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $fn$ SELECT '((?:"[^"]*"|[^\s,;"()])+)' $fn$;

-- Relations (and their partitions) a DROP statement's text names, directly, by schema or by owner.
CREATE OR REPLACE FUNCTION firebreak.named_relations(p_tag text, p_statement text)
RETURNS TABLE (relid oid)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    verb text := CASE p_tag WHEN 'DROP TABLE' THEN 'table' WHEN 'DROP MATERIALIZED VIEW' THEN 'materialized\s+view'
                            WHEN 'DROP FOREIGN TABLE' THEN 'foreign\s+table' WHEN 'DROP SCHEMA' THEN 'schema'
                            WHEN 'DROP OWNED' THEN 'owned\s+by' END;
BEGIN
    IF verb IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH lists AS (
        SELECT m[1] AS list FROM regexp_matches(p_statement, format('\mdrop\s+%s\s+(?:if\s+exists\s+)?([^;]*)', verb), 'gi') m
    ), names AS (
        SELECT n[1] AS name FROM lists, regexp_matches(lists.list, firebreak.name_pattern(), 'g') n
         WHERE lower(n[1]) NOT IN ('cascade', 'restrict')
    ), direct AS (
        SELECT to_regclass(names.name) AS oid FROM names WHERE p_tag NOT IN ('DROP SCHEMA', 'DROP OWNED')
        UNION ALL
        SELECT c.oid FROM names JOIN pg_class c ON c.relnamespace = to_regnamespace(names.name)
         WHERE p_tag = 'DROP SCHEMA'
        UNION ALL
        SELECT c.oid FROM names JOIN pg_class c ON c.relowner = CASE lower(names.name)
                   WHEN 'current_user' THEN current_user::regrole WHEN 'current_role' THEN current_user::regrole
                   WHEN 'session_user' THEN session_user::regrole ELSE to_regrole(names.name) END
         WHERE p_tag = 'DROP OWNED'
    )
    SELECT DISTINCT t.relid::oid
      FROM direct d
      JOIN pg_class c ON c.oid = d.oid AND c.relkind IN ('r', 'p', 'm', 'f')
      CROSS JOIN LATERAL (SELECT c.oid AS relid UNION ALL
                          SELECT p.relid FROM pg_partition_tree(c.oid) p WHERE c.relkind = 'p' AND p.relid <> c.oid) t
     LIMIT 1000;
END;
$fn$;

-- Before a DROP or ALTER TABLE runs: notes the size and parent of every relation it names (what
-- sql_drop can no longer measure), and the name or partition parent an ALTER TABLE ... RENAME TO
-- or DETACH PARTITION is about to change (what ddl_command_end can no longer see).
CREATE OR REPLACE FUNCTION firebreak.blast_note(p_tag text, p_context text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    q text := firebreak.inner_statement(p_context);
    name_re text := firebreak.name_pattern();
    m text[];
    target oid;
BEGIN
    DELETE FROM firebreak.blast_pending WHERE pid = pg_backend_pid();
    IF p_tag = 'ALTER TABLE' THEN
        m := regexp_match(q, format('^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?%s\s+rename\s+to\s', name_re), 'i');
        target := to_regclass(m[1]);
        IF target IS NOT NULL THEN
            INSERT INTO firebreak.blast_pending (pid, stamp, kind, relid, old_identity)
            SELECT pg_backend_pid(), statement_timestamp(), 'rename', target, target::regclass::text;
            RETURN;
        END IF;
        m := regexp_match(q, format('^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?%s\s+detach\s+partition\s+%s', name_re, name_re), 'i');
        INSERT INTO firebreak.blast_pending (pid, stamp, kind, relid, parent)
        SELECT pg_backend_pid(), statement_timestamp(), 'detach', i.inhrelid, i.inhparent
          FROM pg_inherits i
         WHERE m IS NOT NULL AND i.inhrelid = to_regclass(m[2]) AND i.inhparent = to_regclass(m[1]);
        RETURN;
    END IF;
    INSERT INTO firebreak.blast_pending (pid, stamp, kind, relid, parent, rows, bytes)
    SELECT pg_backend_pid(), statement_timestamp(), 'drop', n.relid,
           (SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = n.relid LIMIT 1),
           -- a partitioned table holds nothing itself: its partitions are listed (and dropped) too
           CASE WHEN c.relkind = 'p' THEN 0 ELSE firebreak.rows_held(n.relid) END,
           CASE WHEN c.relkind = 'p' THEN 0 ELSE pg_total_relation_size(n.relid) END
      FROM firebreak.named_relations(p_tag, q) n
      JOIN pg_class c ON c.oid = n.relid
    ON CONFLICT DO NOTHING;
EXCEPTION WHEN OTHERS THEN
    -- Measuring never fails the user's statement (a name too odd for to_regclass, say): the drop
    -- then reports its bytes as unknown.
    RETURN;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.blast_note(text, text) FROM PUBLIC;

-- After a DDL command: records the relations it created and the rename or detach noted before it.
CREATE OR REPLACE FUNCTION firebreak.blast_record(p_tag text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE MATERIALIZED VIEW', 'CREATE FOREIGN TABLE') THEN
        INSERT INTO firebreak.relation_birth (relid, created_at, rolname, backend_pid, backend_start)
        SELECT DISTINCT d.objid, clock_timestamp(), session_user, pg_backend_pid(), firebreak.session_started()
          FROM pg_event_trigger_ddl_commands() d
          JOIN pg_class c ON c.oid = d.objid AND c.relkind IN ('r', 'p', 'm', 'f') AND c.relpersistence <> 't'
         WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0
        ON CONFLICT (relid) DO UPDATE SET created_at = excluded.created_at, rolname = excluded.rolname,
            backend_pid = excluded.backend_pid, backend_start = excluded.backend_start;
    ELSIF p_tag = 'ALTER TABLE' THEN
        INSERT INTO firebreak.relation_change (relid, kind, old_identity, parent, changed_at, rolname)
        SELECT p.relid, p.kind, p.old_identity, p.parent, clock_timestamp(), session_user
          FROM firebreak.blast_pending p
         WHERE p.pid = pg_backend_pid() AND p.stamp = statement_timestamp() AND p.kind IN ('rename', 'detach')
           AND (p.kind = 'detach' OR p.relid::regclass::text IS DISTINCT FROM p.old_identity);
        DELETE FROM firebreak.blast_pending WHERE pid = pg_backend_pid();
    END IF;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'firebreak: blast radius bookkeeping failed: %', SQLERRM;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.blast_record(text) FROM PUBLIC;

-- Who made a relation, as far as this principal is concerned: 'session' (this very session),
-- 'run' (this principal, within blast.run.window.s), or NULL (someone else, or unknown).
CREATE OR REPLACE FUNCTION firebreak.own_kind(p_relid oid)
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
    SELECT CASE WHEN b.backend_pid = pg_catalog.pg_backend_pid() AND b.backend_start = firebreak.session_started() THEN 'session'
                WHEN b.created_at > pg_catalog.clock_timestamp() - firebreak.run_window() THEN 'run' END
      FROM firebreak.relation_birth b
     WHERE b.relid = p_relid AND b.rolname = session_user
$fn$;

-- Seconds since a relation was created; NULL when it is older than the install.
CREATE OR REPLACE FUNCTION firebreak.age_s(p_relid oid)
RETURNS bigint
LANGUAGE sql
STABLE
AS $fn$
    SELECT extract(epoch FROM pg_catalog.clock_timestamp() - b.created_at)::bigint
      FROM firebreak.relation_birth b WHERE b.relid = p_relid
$fn$;

-- The relations one sql_drop removed, measured: rows and bytes they held (bytes as noted before
-- the drop, NULL when the statement's text did not name them), who made them, and whether each
-- was swapped out by a rename or was a partition of a table that lives on.
CREATE OR REPLACE FUNCTION firebreak.blast_dropped(p_relids oid[], p_temporary oid[])
RETURNS TABLE (relid oid, rows bigint, bytes bigint, own text, age_s bigint, replaced boolean, partition_of oid)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT r.relid,
           greatest(p.rows, firebreak.stat_rows(r.relid)),
           p.bytes,
           -- a temporary relation can only ever be this session's own
           CASE WHEN r.relid = ANY (p_temporary) THEN 'session' ELSE firebreak.own_kind(r.relid) END,
           firebreak.age_s(r.relid),
           EXISTS (SELECT 1 FROM firebreak.relation_change c
                    WHERE c.relid = r.relid AND c.kind = 'rename' AND c.rolname = session_user
                      AND c.changed_at > clock_timestamp() - firebreak.run_window()
                      AND to_regclass(c.old_identity) IS NOT NULL),
           (SELECT x.parent FROM (SELECT p.parent
                                  UNION ALL
                                  SELECT c.parent FROM firebreak.relation_change c
                                   WHERE c.relid = r.relid AND c.kind = 'detach' AND c.rolname = session_user
                                     AND c.changed_at > clock_timestamp() - firebreak.run_window()) x
             WHERE x.parent IS NOT NULL AND EXISTS (SELECT 1 FROM pg_class k WHERE k.oid = x.parent)
             LIMIT 1)
      FROM unnest(p_relids) AS r(relid)
      LEFT JOIN firebreak.blast_pending p
             ON p.pid = pg_backend_pid() AND p.kind = 'drop' AND p.relid = r.relid AND p.stamp = statement_timestamp()
$fn$;

-- The blast attributes of an event, from its relations' measures. Every flag holds only when it
-- holds for each relation, so one valuable relation among scratch ones makes the event valuable.
CREATE OR REPLACE FUNCTION firebreak.blast_summary(p_rows bigint, p_bytes bigint, p_bytes_partial boolean, p_fraction double precision,
                                                   p_sessions integer, p_runs integer, p_known_age integer, p_max_age bigint,
                                                   p_replaced integer, p_partitions integer, p_relations integer)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $fn$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'blast_relations', p_relations::text,
        'blast_rows', p_rows::text,
        'blast_bytes', p_bytes::text,
        'blast_bytes_partial', CASE WHEN p_bytes_partial THEN 'true' END,
        'blast_fraction', CASE WHEN p_fraction IS NOT NULL THEN round(p_fraction::numeric, 4)::text END,
        'blast_age_s', CASE WHEN p_known_age = p_relations THEN p_max_age::text END,
        'blast_created', CASE WHEN p_sessions = p_relations THEN 'session' WHEN p_sessions + p_runs = p_relations THEN 'run' END,
        'blast_replaced', (p_replaced = p_relations AND p_relations > 0)::text,
        'blast_partition', (p_partitions = p_relations AND p_relations > 0)::text))
$fn$;

-- A table trigger's blast attributes (TRUNCATE, judged DELETE/UPDATE, or the table a dropped
-- column belonged to): p_rows destroyed out of p_table_rows.
CREATE OR REPLACE FUNCTION firebreak.blast_of_table(p_relid oid, p_rows bigint, p_table_rows bigint, p_bytes bigint)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $fn$
    SELECT firebreak.blast_summary(p_rows, p_bytes, false,
                                   CASE WHEN p_table_rows > 0 THEN least(1.0, p_rows::double precision / p_table_rows)
                                        WHEN p_rows IS NOT NULL THEN 1.0 END,
                                   (o = 'session')::int, (o = 'run')::int, (a IS NOT NULL)::int, a, 0, 0, 1)
             || jsonb_strip_nulls(jsonb_build_object('blast_table_rows', p_table_rows::text))
      FROM (SELECT coalesce(firebreak.own_kind(p_relid), '') AS o, firebreak.age_s(p_relid) AS a) x
$fn$;

-- Rows a table held before a DELETE/UPDATE of p_changed rows: counted exactly up to 20,000 rows
-- and within twenty times the statement (so small tables, where statistics lag, get an exact
-- fraction), else PostgreSQL's statistics. A bigger count would add a scan of the table to every
-- large statement: a 20,000-row UPDATE of a 100,000-row table paid a whole extra count.
CREATE OR REPLACE FUNCTION firebreak.rows_before(p_relid oid, p_op text, p_changed bigint)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    removed bigint := CASE WHEN p_op = 'DELETE' THEN p_changed ELSE 0 END;
    estimate bigint := firebreak.stat_rows(p_relid) + removed;
    cap bigint := least(p_changed * 20, 20000);
    counted bigint;
BEGIN
    IF estimate >= p_changed * 20 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = p_relid) <> 'r' THEN
        RETURN greatest(estimate, p_changed);
    END IF;
    counted := firebreak.holds_at_least(p_relid, cap);
    RETURN CASE WHEN counted < cap THEN counted + removed ELSE greatest(estimate, counted + removed) END;
END;
$fn$;

-- The blast attributes of a TRUNCATE (p_changed NULL: what the table holds) or of a judged
-- DELETE/UPDATE of p_changed rows. Never fails the statement: an error goes into blast_error.
CREATE OR REPLACE FUNCTION firebreak.blast_for_table(p_relid oid, p_op text, p_changed bigint)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    held bigint;
BEGIN
    IF p_op = 'TRUNCATE' THEN
        held := firebreak.rows_held(p_relid);
        RETURN firebreak.blast_of_table(p_relid, held, held, pg_total_relation_size(p_relid));
    END IF;
    RETURN firebreak.blast_of_table(p_relid, p_changed, firebreak.rows_before(p_relid, p_op, p_changed), NULL);
EXCEPTION WHEN OTHERS THEN
    RETURN jsonb_build_object('blast_error', left(SQLERRM, 200));
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.blast_for_table(oid, text, bigint) FROM PUBLIC;

-- Version 3's drop_rate judgement with an amount per rule (relations a rule spares do not count).
CREATE OR REPLACE FUNCTION firebreak.judge_rate(p_amounts jsonb, OUT rule text, OUT mode text, OUT reason text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    g firebreak.guard_rule;
    prior timestamptz[];
    now_ts timestamptz := clock_timestamp();
    recent integer;
    amount integer;
    most integer := 0;
    longest bigint := 0;
    keep bigint := 0;
BEGIN
    SELECT coalesce(max(value::integer), 0) INTO most FROM jsonb_each_text(p_amounts);
    IF most <= 0 THEN
        RETURN;
    END IF;
    INSERT INTO firebreak.guard_rate AS r (rolname, stamps) VALUES (session_user, '{}')
    ON CONFLICT (rolname) DO UPDATE SET stamps = r.stamps
    RETURNING r.stamps INTO prior;
    FOR g IN SELECT * FROM firebreak.guard_rules('drop_rate') LOOP
        amount := coalesce((p_amounts ->> g.id)::integer, 0);
        SELECT count(*) INTO recent FROM unnest(prior) s WHERE s > now_ts - make_interval(secs => g.window_ms / 1000.0);
        IF amount > 0 AND recent + amount > g.threshold AND rule IS NULL THEN
            rule := g.id;
            mode := g.mode;
            reason := format('%s relation(s) dropped within %s ms, at most %s allowed; this statement drops %s',
                             recent, g.window_ms, g.threshold, amount);
        END IF;
        longest := greatest(longest, g.window_ms);
        keep := greatest(keep, g.threshold + 1);
    END LOOP;
    IF rule IS NULL OR mode <> 'enforce' THEN
        UPDATE firebreak.guard_rate SET stamps = (
            SELECT coalesce(array_agg(s ORDER BY s), '{}') FROM (
                SELECT s FROM (SELECT unnest(prior) AS s
                               UNION ALL SELECT now_ts FROM generate_series(1, least(most, keep)::integer)) a
                 WHERE s > now_ts - make_interval(secs => longest / 1000.0)
                 ORDER BY s DESC LIMIT keep) k)
         WHERE rolname = session_user;
    END IF;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.judge_rate(jsonb) FROM PUBLIC;

-- Whether a rule spares a relation with these measures.
CREATE OR REPLACE FUNCTION firebreak.spared(p_spare text[], p_own text, p_replaced boolean, p_partition_of oid)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
AS $fn$
    SELECT coalesce(('created_by_same_principal' = ANY (p_spare) AND p_own IS NOT NULL)
                    OR ('replaced' = ANY (p_spare) AND p_replaced)
                    OR ('partition' = ANY (p_spare) AND p_partition_of IS NOT NULL), false)
$fn$;

-- The blast attributes of one sql_drop, and per guard rule the relations it does not spare
-- (key amounts). Measuring never fails the user's statement: an error is reported in the event
-- (blast_error) instead, and every relation then counts for the guards.
CREATE OR REPLACE FUNCTION firebreak.blast_of_drop(p_relids oid[], p_temporary oid[], p_relations integer, p_columns integer,
                                                   p_column_table oid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    blast jsonb := '{}'::jsonb;
    amounts jsonb;
    column_rows bigint;
BEGIN
    IF p_relations > 0 THEN
        WITH b AS MATERIALIZED (SELECT * FROM firebreak.blast_dropped(p_relids, p_temporary))
        SELECT firebreak.blast_summary(sum(b.rows)::bigint, sum(b.bytes)::bigint, bool_or(b.bytes IS NULL),
                   CASE WHEN count(b.partition_of) = count(*) THEN
                       sum(b.rows)::double precision / nullif(sum(b.rows) + firebreak.rows_held(min(b.partition_of)), 0)
                   ELSE 1.0 END,
                   count(*) FILTER (WHERE b.own = 'session')::integer, count(*) FILTER (WHERE b.own = 'run')::integer,
                   count(b.age_s)::integer, max(b.age_s), count(*) FILTER (WHERE b.replaced)::integer,
                   count(b.partition_of)::integer, count(*)::integer),
               (SELECT coalesce(jsonb_object_agg(r.id, r.n), '{}'::jsonb)
                  FROM (SELECT g.id, count(*) FILTER (WHERE NOT firebreak.spared(g.spare, b2.own, b2.replaced, b2.partition_of)) AS n
                          FROM firebreak.guard_rule g CROSS JOIN b b2
                         WHERE g.kind IN ('statement_drops', 'drop_rate') AND g.spare IS NOT NULL
                         GROUP BY g.id) r)
          INTO blast, amounts
          FROM b;
        DELETE FROM firebreak.relation_birth WHERE relid = ANY (p_relids);
        DELETE FROM firebreak.relation_change WHERE relid = ANY (p_relids);
        RETURN blast || jsonb_build_object('amounts', amounts);
    ELSIF p_columns > 0 AND p_column_table IS NOT NULL THEN
        column_rows := firebreak.rows_held(p_column_table);
        RETURN firebreak.blast_of_table(p_column_table, column_rows, column_rows, NULL);
    END IF;
    RETURN blast;
EXCEPTION WHEN OTHERS THEN
    RETURN jsonb_build_object('blast_error', left(SQLERRM, 200));
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.blast_of_drop(oid[], oid[], integer, integer, oid) FROM PUBLIC;

-- Version 3's sql_drop handler, measuring what the drop destroys: the blast attributes go into
-- the event, and statement_drops and drop_rate guards count only the relations they do not spare.
CREATE OR REPLACE FUNCTION firebreak.on_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
    objs jsonb;
    total integer;
    relations integer;
    columns integer;
    column_rows bigint := 0;
    own_triggers integer;
    max_objects integer := firebreak.setting_value('objects.max', '100')::integer;
    relids oid[];
    temporary oid[];
    column_table oid;
    blast jsonb := '{}'::jsonb;
    amounts jsonb := '{}'::jsonb;
    g firebreak.guard_rule;
    counted integer;
    rule text;
    mode text;
    reason text;
    sqlstate text := 'FB001';
BEGIN
    IF firebreak.installing() THEN
        RETURN;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'type', d.object_type, 'schema', d.schema_name, 'name', d.object_name,
               'identity', left(d.object_identity, 512), 'original', d.original)) FILTER (WHERE d.n <= max_objects), '[]'::jsonb),
           count(*),
           count(*) FILTER (WHERE d.object_type = ANY (firebreak.relation_types())),
           count(*) FILTER (WHERE d.object_type = 'table column'),
           count(*) FILTER (WHERE d.object_type = 'trigger' AND d.original
                              AND d.address_names[array_upper(d.address_names, 1)] IN (SELECT a.name FROM firebreak.audit_triggers() a)),
           array_agg(DISTINCT d.objid) FILTER (WHERE d.object_type = ANY (firebreak.relation_types())),
           array_agg(DISTINCT d.objid) FILTER (WHERE d.object_type = ANY (firebreak.relation_types()) AND d.is_temporary),
           min(d.objid) FILTER (WHERE d.object_type = 'table column')
      INTO objs, total, relations, columns, own_triggers, relids, temporary, column_table
      FROM (SELECT o.*, row_number() OVER () AS n
              FROM pg_event_trigger_dropped_objects() o
             WHERE o.original OR o.normal OR o.object_type = ANY (firebreak.relation_types())) d;
    blast := firebreak.blast_of_drop(relids, coalesce(temporary, '{}'), relations, columns, column_table);
    amounts := coalesce(blast -> 'amounts', '{}'::jsonb);
    blast := blast - 'amounts';
    IF own_triggers > 0 AND NOT firebreak.is_superuser(session_user) THEN
        rule := 'firebreak-tamper';
        mode := 'enforce';
        reason := 'dropping Firebreak''s audit triggers';
        sqlstate := 'FB003';
    ELSIF firebreak.locked() AND total > 0 THEN
        rule := 'firebreak-locked';
        mode := 'enforce';
        reason := 'the role has been revoked';
        sqlstate := 'FB002';
    ELSE
        FOR g IN SELECT * FROM firebreak.guard_rules('statement_drops') LOOP
            counted := coalesce((amounts ->> g.id)::integer, relations);
            IF counted >= g.threshold THEN
                rule := g.id; mode := g.mode;
                reason := format('one statement drops %s relation(s), limit %s', counted, g.threshold);
                EXIT WHEN mode = 'enforce';
            END IF;
        END LOOP;
        IF rule IS NULL OR mode <> 'enforce' THEN
            FOR g IN SELECT * FROM firebreak.guard_rules('column_drop') LOOP
                IF columns >= g.threshold THEN
                    SELECT coalesce(max(firebreak.holds_at_least(c.oid, g.min_rows)), 0) INTO column_rows
                      FROM pg_event_trigger_dropped_objects() d
                      JOIN pg_class c ON c.oid = d.objid
                     WHERE d.object_type = 'table column';
                    IF column_rows >= g.min_rows THEN
                        rule := g.id; mode := g.mode;
                        reason := format('drops %s column(s) of a table holding at least %s rows', columns, g.min_rows);
                        EXIT WHEN mode = 'enforce';
                    END IF;
                END IF;
            END LOOP;
        END IF;
        IF (rule IS NULL OR mode <> 'enforce') AND relations > 0 THEN
            DECLARE
                r record;
            BEGIN
                SELECT * INTO r FROM firebreak.judge_rate(
                    (SELECT coalesce(jsonb_object_agg(g4.id, coalesce((amounts ->> g4.id)::integer, relations)), '{}'::jsonb)
                       FROM firebreak.guard_rules('drop_rate') g4));
                IF r.rule IS NOT NULL AND (rule IS NULL OR r.mode = 'enforce') THEN
                    rule := r.rule; mode := r.mode; reason := r.reason;
                END IF;
            END;
        END IF;
    END IF;
    PERFORM firebreak.judge('sql_drop', jsonb_build_object('tag', tg_tag, 'objects', objs, 'objects_total', total) || blast,
                            rule, mode, reason, sqlstate, true, ctx);
END;
$fn$;

-- Version 3's ddl_command_start handler, which also notes what a DROP or ALTER TABLE is about to
-- change (firebreak.blast_note) while it can still be measured.
CREATE OR REPLACE FUNCTION firebreak.on_ddl_command_start()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
BEGIN
    IF tg_tag NOT IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED', 'DROP MATERIALIZED VIEW', 'DROP FOREIGN TABLE', 'ALTER TABLE')
       AND NOT firebreak.locked() THEN
        RETURN;
    END IF;
    IF firebreak.installing() THEN
        RETURN;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    IF firebreak.locked() THEN
        PERFORM firebreak.judge('ddl_command_start', jsonb_build_object('tag', tg_tag, 'objects', '[]'::jsonb),
                                'firebreak-locked', 'enforce', 'the role has been revoked', 'FB002', true, ctx);
    END IF;
    PERFORM firebreak.blast_note(tg_tag, ctx);
END;
$fn$;

-- Version 3's ddl_command_end handler, which also records the relations a command creates and the
-- rename or detach firebreak.blast_note saw coming (firebreak.blast_record).
CREATE OR REPLACE FUNCTION firebreak.on_ddl_command_end()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
    objs jsonb;
    own_triggers_only boolean;
    tampered text;
    created oid;
    max_objects integer := firebreak.setting_value('objects.max', '100')::integer;
    total integer;
BEGIN
    IF firebreak.installing() THEN
        RETURN;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'type', object_type, 'schema', schema_name, 'identity', left(object_identity, 512),
               'original', true)) FILTER (WHERE n <= max_objects), '[]'::jsonb),
           count(*),
           bool_and(object_type = 'trigger' AND firebreak.is_own_trigger(objid))
      INTO objs, total, own_triggers_only
      FROM (SELECT c.*, row_number() OVER () AS n FROM pg_event_trigger_ddl_commands() c) d;
    -- Our own CREATE TRIGGERs (below, and in watch_table) fire this trigger again; they are not news.
    IF tg_tag = 'CREATE TRIGGER' AND own_triggers_only THEN
        RETURN;
    END IF;
    SELECT string_agg(DISTINCT rel::regclass::text, ', ') INTO tampered
      FROM (SELECT CASE WHEN c.object_type = 'trigger' THEN t.tgrelid ELSE c.objid END AS rel
              FROM pg_event_trigger_ddl_commands() c
              LEFT JOIN pg_trigger t ON c.object_type = 'trigger' AND t.oid = c.objid
             WHERE c.command_tag IN ('ALTER TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER')
               AND c.object_type IN ('table', 'trigger')) x
     WHERE rel IS NOT NULL AND firebreak.tampered(rel);
    IF tampered IS NOT NULL THEN
        PERFORM firebreak.judge('ddl_command_end', jsonb_build_object('tag', tg_tag, 'objects', objs, 'objects_total', total,
                                                                       'tamper', true),
                                'firebreak-tamper', CASE WHEN firebreak.is_superuser(session_user) THEN 'shadow' ELSE 'enforce' END,
                                format('takes Firebreak''s audit triggers off %s', tampered), 'FB003', true, ctx);
        RETURN;
    END IF;
    -- A DROP is reported once, by on_sql_drop; here it would only repeat it without its objects.
    IF tg_tag NOT LIKE 'DROP %' THEN
        PERFORM firebreak.emit('ddl_command_end', jsonb_build_object('tag', tg_tag, 'objects', objs, 'objects_total', total),
                               true, ctx);
    END IF;
    PERFORM firebreak.blast_record(tg_tag);
    FOR created IN SELECT objid FROM pg_event_trigger_ddl_commands()
                    WHERE command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')
                      AND object_type = 'table' AND NOT in_extension LOOP
        IF firebreak.dml_wanted(created) THEN
            BEGIN
                PERFORM firebreak.watch_table(created::regclass);
            EXCEPTION WHEN OTHERS THEN
                -- Never fail the user's CREATE TABLE over auditing; the installer's next run
                -- (firebreak.watch_plan) picks the table up again.
                RAISE WARNING 'firebreak: no DML capture on %: %', created::regclass, SQLERRM;
            END;
        END IF;
    END LOOP;
END;
$fn$;

-- Version 5's TRUNCATE handler with the rows and bytes the table held, and guards that may spare a
-- table the same principal created in this session or run.
CREATE OR REPLACE FUNCTION firebreak.on_truncate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
    g firebreak.guard_rule;
    rule text;
    mode text;
    reason text;
    sqlstate text := 'FB001';
    tables integer;
    held bigint;
    own text := firebreak.own_kind(tg_relid);
    blast jsonb;
BEGIN
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    IF firebreak.locked() THEN
        rule := 'firebreak-locked'; mode := 'enforce'; reason := 'the role has been revoked'; sqlstate := 'FB002';
    ELSIF EXISTS (SELECT 1 FROM firebreak.guard_rules('truncate')) THEN
        INSERT INTO firebreak.guard_truncate AS t (pid, statement, tables)
        VALUES (pg_backend_pid(), statement_timestamp(), 1)
        ON CONFLICT (pid) DO UPDATE
           SET tables = CASE WHEN t.statement = excluded.statement THEN t.tables + 1 ELSE 1 END,
               statement = excluded.statement
        RETURNING t.tables INTO tables;
        FOR g IN SELECT * FROM firebreak.guard_rules('truncate') LOOP
            CONTINUE WHEN firebreak.spared(g.spare, own, false, NULL);
            IF tables >= g.threshold THEN
                rule := g.id; mode := g.mode;
                reason := format('one statement truncates %s tables, limit %s', tables, g.threshold);
            ELSIF g.min_rows > 0 THEN
                held := firebreak.holds_at_least(tg_relid, g.min_rows);
                IF held >= g.min_rows THEN
                    rule := g.id; mode := g.mode;
                    reason := format('truncates a table holding at least %s rows', g.min_rows);
                END IF;
            END IF;
            EXIT WHEN mode = 'enforce';
        END LOOP;
    END IF;
    blast := firebreak.blast_for_table(tg_relid, 'TRUNCATE', NULL);
    PERFORM firebreak.judge('truncate', jsonb_build_object(
                'tag', 'TRUNCATE', 'objects', firebreak.table_objects(tg_table_schema, tg_table_name)) || blast,
            rule, mode, reason, sqlstate, true, ctx);
    RETURN NULL;
END;
$fn$;

-- Version 5's DELETE/UPDATE handler. A judged statement (at least firebreak.routine_below() rows)
-- carries its blast attributes: the rows it changed out of those the table held, and who made the
-- table; routine statements keep the hot path as it was.
CREATE OR REPLACE FUNCTION firebreak.on_row_change()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ctx text;
    n bigint;
    total bigint;
    mark text;
    previous bigint;
    g firebreak.guard_rule;
    rule text;
    mode text;
    reason text;
    sqlstate text := 'FB001';
    needed bigint;
    seen bigint;
    before_rows bigint;
    own text;
    blast jsonb;
BEGIN
    IF tg_op = 'DELETE' THEN
        SELECT count(*) INTO n FROM old_rows;
    ELSE
        -- a partitioned table counts in its partitions; an ordinary one needs no catalog lookup
        total := pg_catalog.pg_stat_get_xact_tuples_updated(tg_relid);
        IF total = 0 THEN
            total := firebreak.updated_pending(tg_relid);
        END IF;
        mark := 'firebreak.updated_' || tg_relid;
        -- a value the session set itself that is no number fails its own UPDATE, nothing else
        previous := coalesce(nullif(current_setting(mark, true), ''), '0')::bigint;
        n := CASE WHEN total >= previous THEN total - previous ELSE total END;
        PERFORM set_config(mark, total::text, false);
    END IF;
    IF n <= 0 THEN
        RETURN NULL;
    END IF;
    -- Routine statements (below dml.immediate.rows and below what any row_change guard could
    -- judge; firebreak.apply_policy writes the smaller into firebreak.routine_below()): one transactional
    -- message, decoded at commit, no WAL flush and no guard lookups of their own (a locked role's
    -- small statements are not refused: its sessions end a few milliseconds after the lock).
    IF n < firebreak.routine_below() THEN
        GET DIAGNOSTICS ctx = PG_CONTEXT;
        PERFORM pg_catalog.pg_logical_emit_message(true, '${message_prefix}',
                    firebreak.routine_message(tg_op, tg_table_schema, tg_table_name, n, ctx));
        RETURN NULL;
    END IF;
    own := firebreak.own_kind(tg_relid);
    blast := firebreak.blast_for_table(tg_relid, tg_op, n);
    IF firebreak.locked() THEN
        rule := 'firebreak-locked'; mode := 'enforce'; reason := 'the role has been revoked'; sqlstate := 'FB002';
    ELSE
        -- Broken when the table held at least min_rows before and n is at least fraction of them,
        -- so n below min_rows * fraction never is: routine statements stop at this one index scan.
        FOR g IN SELECT * FROM firebreak.guard_rule r
                  WHERE r.kind = 'row_change' AND n >= ceil(r.min_rows * r.fraction)
                  ORDER BY r.mode, r.id LOOP
            CONTINUE WHEN NOT firebreak.guarded() OR firebreak.guard_excepted(g.id) OR firebreak.spared(g.spare, own, false, NULL);
            -- The table's size is counted only as far as the decision needs.
            needed := floor(n / g.fraction)::bigint;  -- the most rows the table may have held
            seen := firebreak.holds_at_least(tg_relid, needed + 1 - CASE WHEN tg_op = 'DELETE' THEN n ELSE 0 END);
            before_rows := seen + CASE WHEN tg_op = 'DELETE' THEN n ELSE 0 END;
            IF before_rows <= needed AND before_rows >= g.min_rows THEN
                rule := g.id; mode := g.mode;
                reason := format('%s touches %s of %s rows (%s%%), limit %s%% of tables holding %s rows or more',
                                 tg_op, n, before_rows, round(100.0 * n / before_rows, 1), round((100 * g.fraction)::numeric, 1), g.min_rows);
                EXIT WHEN mode = 'enforce';
            END IF;
        END LOOP;
    END IF;
    GET DIAGNOSTICS ctx = PG_CONTEXT;
    PERFORM firebreak.judge('dml', jsonb_build_object(
                'tag', tg_op, 'objects', firebreak.table_objects(tg_table_schema, tg_table_name), 'rows', n) || blast,
            rule, mode, reason, sqlstate,
            n >= firebreak.setting_value('dml.immediate.rows', '100')::bigint, ctx);
    RETURN NULL;
END;
$fn$;

-- The helpers read Firebreak's own tables; nobody else needs them.
REVOKE ALL ON FUNCTION firebreak.session_started(), firebreak.run_window(), firebreak.stat_rows(oid),
    firebreak.rows_held(oid), firebreak.inner_statement(text), firebreak.named_relations(text, text),
    firebreak.own_kind(oid), firebreak.age_s(oid), firebreak.blast_dropped(oid[], oid[]),
    firebreak.blast_summary(bigint, bigint, boolean, double precision, integer, integer, integer, bigint, integer, integer, integer),
    firebreak.blast_of_table(oid, bigint, bigint, bigint), firebreak.rows_before(oid, text, bigint),
    firebreak.spared(text[], text, boolean, oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_row_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_truncate() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_sql_drop() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_ddl_command_end() FROM PUBLIC;
REVOKE ALL ON FUNCTION firebreak.on_ddl_command_start() FROM PUBLIC;

INSERT INTO firebreak.schema_version (version, description)
VALUES (6, 'blast radius: rows, bytes, fraction, age, creator, rename swap and partition of what is destroyed')
ON CONFLICT (version) DO NOTHING;
