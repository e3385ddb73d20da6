-- Firebreak, version 4: strict mode, in the manner of Teleport's locking_mode: strict.
-- Every statement is idempotent: the installer may run it again on an installed database.
--
-- The guard of version 3 keeps working when the pipeline is down, but it only refuses what one
-- statement or the in-database rate shows; a slow burn, linked credentials or anything else only
-- the pipeline sees is not stopped while nobody is listening. Strict mode closes that gap: the
-- pipeline's components beat into firebreak.heartbeat while they are live end to end, and when
-- the oldest required beat is older than guard.strict.stale.after.ms (0 or absent: off), guarded
-- principals are refused destructive statements (SQLSTATE FB004) until the beats come back.
--
-- What is refused: every DROP the sql_drop event trigger reports, every TRUNCATE, and every
-- DELETE/UPDATE that reaches firebreak.judge (those at or above firebreak.routine_below(); the
-- small routine ones take the hot path, which gains no lookup here). The check lives in
-- firebreak.judge, which each of those paths calls exactly once, so the refusal is emitted first,
-- non-transactionally, like every guard refusal: detection sees it once the pipeline is back.
-- Superusers are never guarded, and the installer's own changes never reach judge.

-- One row per component of the pipeline: its last beat. Written only through firebreak.beat.
CREATE TABLE IF NOT EXISTS firebreak.heartbeat (
    component text PRIMARY KEY CHECK (component IN ('capture', 'killswitch')),
    beat_at   timestamptz NOT NULL,
    detail    text NOT NULL CHECK (length(detail) <= 200)
);
REVOKE ALL ON firebreak.heartbeat FROM PUBLIC;

-- Records a beat of one component, stamped with the database's clock (never the caller's, so a
-- host with a skewed clock cannot keep strict mode quiet). 'capture' is beaten by the role that
-- installed Firebreak (ingest, after a logical message made the round trip through the slot and
-- Kafka); 'killswitch' by the kill switch's role, which may beat nothing else: a stolen kill
-- switch password must not fake capture's liveness.
CREATE OR REPLACE FUNCTION firebreak.beat(p_component text, p_detail text)
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    now_ts timestamptz := clock_timestamp();
BEGIN
    IF p_component IS NULL OR p_component NOT IN ('capture', 'killswitch') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('firebreak.beat: component %s is unknown; allowed: capture, killswitch', left(p_component, 40));
    END IF;
    -- current_user is the function's owner here: the installing role
    IF p_component = 'capture' AND NOT pg_has_role(session_user, current_user, 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('firebreak.beat: %s may not beat for capture', session_user);
    END IF;
    INSERT INTO firebreak.heartbeat (component, beat_at, detail)
    VALUES (p_component, now_ts, left(coalesce(p_detail, ''), 200))
    ON CONFLICT (component) DO UPDATE SET beat_at = excluded.beat_at, detail = excluded.detail;
    RETURN now_ts;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.beat(text, text) FROM PUBLIC;

-- The kill switch's role, when it exists already, may beat; KillSwitchRoleInstaller grants the
-- same when it creates the role later.
DO $do$
BEGIN
    IF to_regrole('firebreak_killswitch') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION firebreak.beat(text, text) TO firebreak_killswitch;
    END IF;
END;
$do$;

-- Ages of the beats as the database sees them, for the gauges: one row per required or present
-- component, age NULL when it never beat.
CREATE OR REPLACE FUNCTION firebreak.heartbeat_ages()
RETURNS TABLE (component text, age_ms bigint, required boolean)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT c.component,
           (extract(epoch FROM clock_timestamp() - h.beat_at) * 1000)::bigint,
           c.component = ANY (string_to_array(firebreak.setting_value('guard.strict.components', 'capture'), ','))
      FROM (VALUES ('capture'), ('killswitch')) c(component)
      LEFT JOIN firebreak.heartbeat h ON h.component = c.component
$fn$;
REVOKE ALL ON FUNCTION firebreak.heartbeat_ages() FROM PUBLIC;

-- Why the pipeline counts as down now, or NULL when strict mode is off or every required
-- component beat within guard.strict.stale.after.ms.
CREATE OR REPLACE FUNCTION firebreak.strict_stale_since()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    after_ms bigint := firebreak.setting_value('guard.strict.stale.after.ms', '0')::bigint;
    required text[] := string_to_array(firebreak.setting_value('guard.strict.components', 'capture'), ',');
    missing text;
    oldest record;
BEGIN
    IF after_ms <= 0 THEN
        RETURN NULL;
    END IF;
    SELECT string_agg(c, ', ' ORDER BY c) INTO missing
      FROM unnest(required) c
     WHERE NOT EXISTS (SELECT 1 FROM firebreak.heartbeat h WHERE h.component = c);
    IF missing IS NOT NULL THEN
        RETURN format('ever (%s never beat)', missing);
    END IF;
    SELECT h.component, h.beat_at INTO oldest
      FROM firebreak.heartbeat h
     WHERE h.component = ANY (required)
     ORDER BY h.beat_at
     LIMIT 1;
    IF clock_timestamp() - oldest.beat_at > make_interval(secs => after_ms / 1000.0) THEN
        RETURN format('%s (%s, %s s ago; limit %s ms)', oldest.beat_at, oldest.component,
                      round(extract(epoch FROM clock_timestamp() - oldest.beat_at)::numeric, 1), after_ms);
    END IF;
    RETURN NULL;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.strict_stale_since() FROM PUBLIC;

-- Whether strict mode refuses this statement: it is destructive (a DROP of at least one object, a
-- TRUNCATE, a judged DELETE/UPDATE), strict mode is on, the session is guarded and not excepted
-- from rule firebreak-strict, and the pipeline is stale. Returns the staleness, or NULL. The
-- cheapest test (is strict on at all) comes first: with strict off a judged statement pays one
-- setting lookup.
CREATE OR REPLACE FUNCTION firebreak.strict_refusal(p_kind text, p_body jsonb)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_kind NOT IN ('sql_drop', 'truncate', 'dml')
       OR (p_kind = 'sql_drop' AND coalesce((p_body ->> 'objects_total')::bigint, 0) = 0)
       OR firebreak.setting_value('guard.strict.stale.after.ms', '0') IN ('0', '')
       OR NOT firebreak.guarded()
       OR firebreak.guard_excepted('firebreak-strict') THEN
        RETURN NULL;
    END IF;
    RETURN firebreak.strict_stale_since();
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.strict_refusal(text, jsonb) FROM PUBLIC;

-- Version 3's judge, with strict mode: a statement no enforcing rule refused yet is refused with
-- FB004 when strict mode says so (a shadow verdict gives way to it). Same signature, so every
-- trigger function of version 3 calls this one unchanged.
CREATE OR REPLACE FUNCTION firebreak.judge(p_kind text, p_body jsonb, p_rule text, p_mode text, p_reason text,
                                           p_sqlstate text, p_immediate boolean, p_context text)
RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
    stale text;
BEGIN
    IF p_rule IS NULL OR p_mode <> 'enforce' THEN
        stale := firebreak.strict_refusal(p_kind, p_body);
        IF stale IS NOT NULL THEN
            p_rule := 'firebreak-strict';
            p_mode := 'enforce';
            p_sqlstate := 'FB004';
            p_reason := 'pipeline heartbeat stale since ' || stale;
        END IF;
    END IF;
    PERFORM firebreak.emit(p_kind, p_body || firebreak.verdict(p_rule, p_mode, p_reason),
                           p_immediate OR p_rule IS NOT NULL, p_context);
    IF stale IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'FB004',
            MESSAGE = format('Firebreak strict mode: pipeline heartbeat stale since %s, destructive statements refused', stale),
            HINT = 'Allowed again once the pipeline beats. An operator can set firebreak.ingest.guard.strict.stale.after.ms=0 '
                   'or act as a superuser; see docs/operations.md, "Strict mode".';
    ELSIF p_rule IS NOT NULL AND p_mode = 'enforce' THEN
        RAISE EXCEPTION USING ERRCODE = p_sqlstate,
            MESSAGE = format('firebreak guard: %s refused by rule %s: %s', session_user, p_rule, p_reason),
            HINT = 'An operator can add an exception with an expiry to the Firebreak rules (exceptions.yaml).';
    END IF;
END;
$fn$;
REVOKE ALL ON FUNCTION firebreak.judge(text, jsonb, text, text, text, text, boolean, text) FROM PUBLIC;

INSERT INTO firebreak.schema_version (version, description)
VALUES (4, 'strict mode: pipeline heartbeats, destructive statements of guarded roles refused while they are stale')
ON CONFLICT (version) DO NOTHING;
