package dev.firebreak.killswitch;

import dev.firebreak.schema.Principal;
import dev.firebreak.metrics.BoundedLabel;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Severity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes one {@link RevokeCommand}: every target goes to the {@link Revoker} that handles it, and
 * each outcome becomes a {@link RevocationResult}, a WARN log line, metrics and, when the kill switch
 * refused or failed, a CRITICAL {@link Alert}. Transport-free: {@link KillSwitchService} feeds it from
 * Kafka and publishes what it returns; {@link #reinstate} does the same for an operator's undo.
 *
 * <p>Speed: each revoker (one per cluster or issuer) has its own lane (a thread), so the targets of one
 * command, a role, a token and a Kafka principal, are revoked in parallel, while one revoker is never called
 * concurrently. {@link #execute} may be called from several threads at once (the service runs commands of
 * different principals in parallel); their targets on one revoker then take turns on its lane, and the wait
 * before a retry is spent off the lane, so a target retried until its deadline does not hold the others.
 * The command's deadline bounds the whole command: a target not confirmed by then is FAILED.
 * A retryable failure (target unreachable) is retried with doubling backoff until the attempts or
 * the deadline run out, and is never reported as done. A failure someone else is about to cure (a
 * privilege granted on a schedule, {@link Revocation#untilDeadline()}) is retried until the deadline
 * however many attempts that takes, with the backoff capped at {@value #UNTIL_DEADLINE_MAX_BACKOFF_MS} ms so
 * that the cure is noticed soon after it lands.
 *
 * <p>Metrics (tags {@code kind}: postgres, kafka, webhook, none; {@code action}: revoke, reinstate;
 * {@code outcome}): counter {@value #REVOCATIONS}; counter {@value #RETRIES}; timers
 * {@value #REVOKE_DURATION} (start of the target's revocation to confirmed), and for REVOKED targets
 * {@value #COMMAND_TO_CONFIRMED} (command issued to confirmed) and {@value #TRIGGER_TO_CONFIRMED}
 * (the triggering event to confirmed: the pipeline's end-to-end latency). Counter
 * {@value #PRINCIPALS_REVOKED} (no tags) counts commands that locked out their principal, at least one
 * target REVOKED: a principal with a role, a token and a Kafka user counts once, not three times.
 */
public final class KillSwitch implements AutoCloseable {
    public static final String REVOCATIONS = "firebreak.killswitch.revocations";
    public static final String RETRIES = "firebreak.killswitch.retries";
    public static final String REVOKE_DURATION = "firebreak.killswitch.revoke.duration";
    public static final String COMMAND_TO_CONFIRMED = "firebreak.killswitch.command.to.confirmed";
    public static final String TRIGGER_TO_CONFIRMED = "firebreak.killswitch.trigger.to.confirmed";
    /** Commands that revoked at least one target: principals locked out, however many credentials each had. */
    public static final String PRINCIPALS_REVOKED = "firebreak.killswitch.principals.revoked";
    /** Per principal (bounded: the first N principals keep their name, the rest count as {@code _other}). */
    public static final String PRINCIPAL_REVOCATIONS = "firebreak.principal.revocations";
    /** Targets of an unverified command reported (each with a result and an alert); the rest are counted. */
    static final int MAX_UNVERIFIED_TARGETS = 20;
    /** Kind label of targets no revoker handles. */
    public static final String NO_KIND = "none";

    private static final Logger log = LoggerFactory.getLogger(KillSwitch.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);
    /** A grant arrives within about a second (`local`'s granter); each attempt costs one cheap call. */
    static final long UNTIL_DEADLINE_MAX_BACKOFF_MS = 200;
    /**
     * Such a retry must still end before the deadline, or its named reason would be replaced by a plain
     * "not confirmed before the command deadline" and the alert would not say what to grant.
     */
    static final long UNTIL_DEADLINE_MARGIN_MS = 50;

    /**
     * How commands are executed.
     *
     * @param forceDryRun     treat every command as a dry run
     * @param commandDeadline time budget of a command without its own deadline, from when execution starts
     * @param maxCommandAge   commands older than this are not executed (FAILED, alert): a first deployment
     *                        replaying an old topic must not lock out principals for last month's bursts;
     *                        zero disables the check. Age is measured from the broker's append time when the
     *                        commands topic has {@code message.timestamp.type=LogAppendTime}, else from the
     *                        command's issued time
     * @param maxAttempts     attempts per target for retryable failures (1 = no retry)
     * @param retryBackoff    wait before the first retry; doubles per retry, capped at 1 s
     */
    public record Settings(boolean forceDryRun, Duration commandDeadline, Duration maxCommandAge, int maxAttempts,
                           Duration retryBackoff) {
        public Settings {
            Objects.requireNonNull(commandDeadline, "commandDeadline");
            Objects.requireNonNull(maxCommandAge, "maxCommandAge");
            Objects.requireNonNull(retryBackoff, "retryBackoff");
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be >= 1");
            }
        }

        /** Defaults: 5 s deadline, 10 min max age, 5 attempts from 50 ms backoff. */
        public static Settings defaults(boolean forceDryRun) {
            return new Settings(forceDryRun, Duration.ofSeconds(5), Duration.ofMinutes(10), 5, Duration.ofMillis(50));
        }
    }

    private final List<Revoker> revokers;
    private final Map<Revoker, ExecutorService> lanes = new IdentityHashMap<>();
    /** The last heartbeat handed to each lane; read and written by the command loop only. */
    private final Map<Revoker, CompletableFuture<?>> beats = new IdentityHashMap<>();
    private final Settings settings;
    private final MeterRegistry meters;
    private final BoundedLabel principals;
    private final Counter principalsRevoked;

    /**
     * @param revokers consulted in order; the first that handles a target revokes it. Not closed here.
     * @param settings deadline, age limit, retries, dry run
     * @param meters   where the metrics go
     */
    public KillSwitch(List<Revoker> revokers, Settings settings, MeterRegistry meters) {
        this(revokers, settings, meters, new BoundedLabel(BoundedLabel.DEFAULT_PRINCIPAL_LIMIT));
    }

    /** With an explicit bound on the principal label ({@value BoundedLabel#PRINCIPAL_LIMIT_KEY}). */
    public KillSwitch(List<Revoker> revokers, Settings settings, MeterRegistry meters, BoundedLabel principals) {
        this.principals = Objects.requireNonNull(principals, "principals");
        this.revokers = List.copyOf(revokers);
        this.settings = Objects.requireNonNull(settings, "settings");
        this.meters = Objects.requireNonNull(meters, "meters");
        // Registered at 0 up front: increase() over a dashboard's range cannot see a counter's first step.
        this.principalsRevoked = Counter.builder(PRINCIPALS_REVOKED)
                .description("Revoke commands with at least one target REVOKED (principals locked out)").register(meters);
        for (Revoker revoker : this.revokers) {
            lanes.put(revoker, Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "firebreak-revoker-" + revoker.describe());
                t.setDaemon(true);
                return t;
            }));
        }
    }

    /** With {@link Settings#defaults}. */
    public KillSwitch(List<Revoker> revokers, boolean forceDryRun, MeterRegistry meters) {
        this(revokers, Settings.defaults(forceDryRun), meters);
    }

    /** The result for one target, and the alert that must accompany it, if any. */
    public record Outcome(RevocationResult result, Optional<Alert> alert) {
    }

    /** What an operator asks to restore for one target: the revocation's recorded previous state. */
    public record ReinstateTarget(String target, String ruleId, String previousState) {
    }

    /**
     * As {@link #execute(RevokeCommand, OptionalLong)} without a broker time: the age limit falls back to
     * the command's issued time (detection's clock).
     */
    public List<Outcome> execute(RevokeCommand command) {
        return execute(command, OptionalLong.empty());
    }

    /**
     * Revokes every target of the command (each once, in parallel across kinds) and reports each. Never throws for a target.
     *
     * @param command            the verified command
     * @param brokerAppendTimeUs when the broker appended the command to its topic (the record's timestamp on a
     *                           {@code message.timestamp.type=LogAppendTime} topic); the age limit is measured
     *                           from it when present, so that a detection host whose clock runs slow or fast
     *                           cannot make a fresh command look stale or an old one look fresh
     */
    public List<Outcome> execute(RevokeCommand command, OptionalLong brokerAppendTimeUs) {
        long startUs = Micros.now();
        long startNanos = System.nanoTime();
        boolean dryRun = settings.forceDryRun() || command.getDryRun();
        // A command without targets is malformed; report it against its principal rather than drop it.
        List<String> targets = command.getTargets().isEmpty()
                ? List.of(command.getPrincipal()) : List.copyOf(new LinkedHashSet<>(command.getTargets()));
        long deadlineNanos = deadlineNanos(command, startUs, startNanos);
        String refusal = refusal(command, brokerAppendTimeUs, startUs, deadlineNanos);
        List<Pending> pending = new ArrayList<>(targets.size());
        for (String target : targets) {
            if (refusal != null) {
                pending.add(Pending.done(target, startUs, Revocation.failed(refusal)));
            } else {
                RevokeRequest request = new RevokeRequest(command.getCommandId(), command.getBackendPids(), dryRun, deadlineNanos);
                LogContext context = new LogContext("rule", command.getRuleId(), command.getPrincipal(),
                        command.getWindowStartUs(), command.getWindowEndUs());
                pending.add(submit(target, startUs, deadlineNanos, context, r -> r.revoke(Principal.parse(target), request)));
            }
        }
        List<Outcome> outcomes = new ArrayList<>(pending.size());
        for (Pending p : pending) {
            outcomes.add(report(command, p, await(p, deadlineNanos), false));
        }
        if (outcomes.stream().anyMatch(o -> o.result().getOutcome() == RevocationOutcome.REVOKED)) {
            principalsRevoked.increment();
        }
        return outcomes;
    }

    /**
     * Executes nothing: reports every target of a command that must not run (its signature did not
     * verify) as FAILED with {@code detail}, each with a CRITICAL alert, at most {@value #MAX_UNVERIFIED_TARGETS}
     * of them. Revokers are never called.
     */
    public List<Outcome> refuseUnverified(RevokeCommand command, String detail) {
        long startUs = Micros.now();
        List<String> targets = command.getTargets().isEmpty()
                ? List.of(command.getPrincipal()) : List.copyOf(new LinkedHashSet<>(command.getTargets()));
        if (targets.size() > MAX_UNVERIFIED_TARGETS) {
            // Whoever forged it chose the list: one record must not become an unbounded alert storm.
            detail = detail + " (" + targets.size() + " targets, the first " + MAX_UNVERIFIED_TARGETS + " reported)";
            targets = targets.subList(0, MAX_UNVERIFIED_TARGETS);
        }
        List<Outcome> outcomes = new ArrayList<>(targets.size());
        for (String target : targets) {
            Pending p = Pending.done(target, startUs, Revocation.failed(detail));
            outcomes.add(report(command, p, p.immediate, true));
        }
        return outcomes;
    }

    /**
     * Restores the recorded previous state of each target on behalf of an operator. Results carry
     * action REINSTATE, the operator and the reason; failures are reported, never retried silently
     * past the deadline.
     */
    public List<RevocationResult> reinstate(String reinstateId, String principal, List<ReinstateTarget> targets,
                                            String operator, String reason, boolean dryRun, Duration timeout) {
        long startUs = Micros.now();
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        List<Pending> pending = new ArrayList<>();
        for (ReinstateTarget t : targets) {
            ReinstateRequest request = new ReinstateRequest(reinstateId, t.previousState(), operator, reason,
                    dryRun || settings.forceDryRun(), deadlineNanos);
            LogContext context = new LogContext("reinstate of rule", t.ruleId(), principal, null, null);
            pending.add(submit(t.target(), startUs, deadlineNanos, context,
                    r -> r.reinstate(Principal.parse(t.target()), request)));
        }
        List<RevocationResult> results = new ArrayList<>();
        for (int i = 0; i < pending.size(); i++) {
            Pending p = pending.get(i);
            Revocation revocation = await(p, deadlineNanos);
            long completed = Math.max(p.startedUs, revocation.completedTimeUs());
            RevocationResult result = RevocationResult.newBuilder()
                    .setCommandId(reinstateId).setRuleId(targets.get(i).ruleId()).setPrincipal(principal)
                    .setTarget(p.target).setOutcome(revocation.outcome()).setDetail(revocation.detail())
                    .setWindowStartUs(0).setWindowEndUs(0).setTriggerEventTimeUs(0)
                    .setStartedTimeUs(p.startedUs).setCompletedTimeUs(completed)
                    .setAction(RevocationAction.REINSTATE).setKind(p.kind).setAttempts(p.attempts())
                    .setOperator(operator).setReason(reason)
                    .build();
            log.warn("kill switch reinstate {}: principal={} target={} operator={} reason={} detail={}",
                    revocation.outcome(), Printable.of(principal), Printable.of(p.target), Printable.of(operator),
                    Printable.of(reason), Printable.of(revocation.detail()));
            Counter.builder(REVOCATIONS).description("Kill switch outcomes per target")
                    .tag("kind", p.kind).tag("action", "reinstate").tag("outcome", revocation.outcome().name())
                    .register(meters).increment();
            results.add(result);
        }
        return results;
    }

    private long deadlineNanos(RevokeCommand command, long startUs, long startNanos) {
        long budgetNanos = settings.commandDeadline().toNanos();
        if (command.getDeadlineTimeUs() > 0) {
            budgetNanos = (command.getDeadlineTimeUs() - startUs) * 1_000L;
        }
        return startNanos + budgetNanos;
    }

    /** Why the whole command is not executed, or null. */
    private String refusal(RevokeCommand command, OptionalLong brokerAppendTimeUs, long startUs, long deadlineNanos) {
        if (command.getTargets().isEmpty()) {
            return "command has no targets";
        }
        long maxAgeUs = settings.maxCommandAge().toNanos() / 1_000L;
        // The broker's append time when the topic records it; the issuer's clock only as a fallback.
        long bornUs = brokerAppendTimeUs.orElse(command.getIssuedTimeUs());
        if (maxAgeUs > 0 && bornUs > 0 && startUs - bornUs > maxAgeUs) {
            String when = brokerAppendTimeUs.isPresent() ? "appended to Kafka at " : "issued at ";
            return "command " + when + Micros.format(bornUs) + " is older than the maximum age of "
                    + settings.maxCommandAge() + "; not executed (check whether the principal still needs revoking)";
        }
        if (deadlineNanos - System.nanoTime() <= 0) {
            return "command deadline " + Micros.format(command.getDeadlineTimeUs()) + " passed before execution; not executed";
        }
        return null;
    }

    /** Hands the target to its revoker's lane; unparseable or unhandled targets fail at once. */
    private Pending submit(String target, long startUs, long deadlineNanos, LogContext context,
                           Function<Revoker, Revocation> call) {
        Principal principal;
        try {
            principal = Principal.parse(target);
        } catch (IllegalArgumentException e) {
            return Pending.done(target, startUs, Revocation.failed("malformed target: " + e.getMessage()));
        }
        Optional<Revoker> found = revokers.stream().filter(r -> r.handles(principal)).findFirst();
        if (found.isEmpty()) {
            return Pending.done(target, startUs, Revocation.failed("no revoker for " + target + " (this kill switch handles "
                    + revokers.stream().map(Revoker::describe).toList() + ")"));
        }
        Revoker revoker = found.get();
        Pending pending = new Pending(target, revoker.kind(), startUs);
        Attempts attempts = new Attempts(revoker, target, pending, deadlineNanos, context, call);
        pending.future = attempt(attempts, 0, settings.retryBackoff().toNanos());
        return pending;
    }

    /** What every attempt at one target shares. */
    private record Attempts(Revoker revoker, String target, Pending pending, long deadlineNanos, LogContext context,
                            Function<Revoker, Revocation> call) {
    }

    /**
     * One attempt on the revoker's lane after {@code delayNanos}. The wait before a retry is spent off the
     * lane (a delayed hand-over, not a sleep in it): a target retried until its deadline must not hold up
     * another principal's target on the same cluster.
     */
    private CompletableFuture<Revocation> attempt(Attempts a, long delayNanos, long backoffNanos) {
        ExecutorService lane = lanes.get(a.revoker());
        Executor executor = delayNanos <= 0 ? lane : CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS, lane);
        return CompletableFuture.supplyAsync(() -> {
            a.pending().attempts++;
            return callSafely(a.revoker(), a.target(), a.call());
        }, executor).thenCompose(revocation -> afterAttempt(a, revocation, backoffNanos));
    }

    /** The final answer, or the next attempt when the failure is retryable and time is left. */
    private CompletableFuture<Revocation> afterAttempt(Attempts a, Revocation revocation, long backoffNanos) {
        int attempts = a.pending().attempts;
        if (!revocation.retryable() || (attempts >= settings.maxAttempts() && !revocation.untilDeadline())) {
            return CompletableFuture.completedFuture(attemptsNoted(revocation, attempts));
        }
        long backoff = backoffNanos;
        long margin = 0;
        if (revocation.untilDeadline()) {
            backoff = Math.min(backoff, TimeUnit.MILLISECONDS.toNanos(UNTIL_DEADLINE_MAX_BACKOFF_MS));
            margin = TimeUnit.MILLISECONDS.toNanos(UNTIL_DEADLINE_MARGIN_MS);
        }
        if (a.deadlineNanos() - System.nanoTime() <= backoff + margin) {
            return CompletableFuture.completedFuture(attemptsNoted(revocation, attempts));
        }
        log.warn("kill switch attempt {} on {} failed, retrying in {} ms{}: {} {}", attempts,
                Printable.of(a.target()), backoff / 1_000_000, revocation.untilDeadline() ? " (until the deadline)" : "",
                a.context(), Printable.of(revocation.detail()));
        Counter.builder(RETRIES).description("Revocation attempts retried after a retryable failure")
                .tag("kind", a.revoker().kind()).register(meters).increment();
        return attempt(a, backoff, Math.min(backoff * 2, MAX_BACKOFF.toNanos()));
    }

    /**
     * Tells every revoker the kill switch is live ({@link Revoker#heartbeat()}), each on its own lane so that
     * a revoker busy with a slow target delays only its own beat, never the caller (the command loop). A
     * revoker whose previous beat has not run yet is skipped.
     */
    public void heartbeat() {
        for (Revoker revoker : revokers) {
            CompletableFuture<?> previous = beats.get(revoker);
            if (previous != null && !previous.isDone()) {
                continue;
            }
            try {
                beats.put(revoker, CompletableFuture.runAsync(revoker::heartbeat, lanes.get(revoker)));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                return; // closed
            }
        }
    }

    private static Revocation attemptsNoted(Revocation revocation, int attempts) {
        if (attempts <= 1 || revocation.outcome() != RevocationOutcome.FAILED) {
            return revocation;
        }
        return new Revocation(revocation.outcome(), revocation.detail() + " (after " + attempts + " attempts)",
                revocation.terminatedPids(), revocation.completedTimeUs(), revocation.previousState(), false);
    }

    private static Revocation callSafely(Revoker revoker, String target, Function<Revoker, Revocation> call) {
        try {
            return Objects.requireNonNull(call.apply(revoker), "revoker returned null");
        } catch (RuntimeException e) {
            // A revoker bug must still end in a loud FAILED, never in silence or a claim of success.
            log.error("revoker {} threw while acting on {}", revoker.describe(), Printable.of(target), e);
            return Revocation.failed("revoker error: " + e);
        }
    }

    private Revocation await(Pending pending, long deadlineNanos) {
        if (pending.future == null) {
            return pending.immediate;
        }
        // A little grace past the deadline: the revoker honours it itself and reports why it stopped.
        long waitNanos = Math.max(deadlineNanos - System.nanoTime(), 0) + TimeUnit.MILLISECONDS.toNanos(100);
        try {
            return pending.future.get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return Revocation.failed("not confirmed before the command deadline; the " + pending.kind
                    + " revoker is still working on it, its late result is only logged");
        } catch (ExecutionException e) {
            return Revocation.failed("revoker error: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Revocation.failed("kill switch interrupted while waiting for the revoker");
        }
    }

    private Outcome report(RevokeCommand command, Pending pending, Revocation revocation, boolean unverified) {
        String target = pending.target;
        String kind = pending.kind;
        long started = pending.startedUs;
        RevocationOutcome outcome = revocation.outcome();
        long completed = Math.max(started, revocation.completedTimeUs());
        RevocationResult result = RevocationResult.newBuilder()
                .setCommandId(command.getCommandId())
                .setRuleId(command.getRuleId())
                .setPrincipal(command.getPrincipal())
                .setTarget(target)
                .setOutcome(outcome)
                .setDetail(revocation.detail())
                .setTerminatedPids(revocation.terminatedPids())
                .setWindowStartUs(command.getWindowStartUs())
                .setWindowEndUs(command.getWindowEndUs())
                .setTriggerEventTimeUs(command.getTriggerEventTimeUs())
                .setStartedTimeUs(started)
                .setCompletedTimeUs(completed)
                .setAction(RevocationAction.REVOKE)
                .setKind(kind)
                .setAttempts(pending.attempts())
                .setPreviousState(revocation.previousState().isEmpty() ? null : revocation.previousState())
                // a manual command's operator and reason travel with each result (null on detection's)
                .setOperator(command.getOperator())
                .setReason(command.getReason())
                .build();
        log.warn("kill switch {}: rule={} principal={} target={} kind={} window=[{}..{}] terminated={} took={}ms detail={}",
                outcome, Printable.of(command.getRuleId()), Printable.of(command.getPrincipal()), Printable.of(target), kind,
                Micros.format(command.getWindowStartUs()), Micros.format(command.getWindowEndUs()),
                revocation.terminatedPids(), String.format(Locale.ROOT, "%.2f", (completed - started) / 1000.0),
                Printable.of(revocation.detail()));
        record(command, kind, outcome, started, completed);
        return new Outcome(result, alertFor(command, target, revocation, unverified));
    }

    private Optional<Alert> alertFor(RevokeCommand command, String target, Revocation revocation, boolean unverified) {
        AlertKind kind = switch (revocation.outcome()) {
            case REFUSED_PROTECTED -> AlertKind.REVOCATION_REFUSED;
            case FAILED -> AlertKind.REVOCATION_FAILED;
            default -> null;
        };
        if (kind == null) {
            return Optional.empty();
        }
        String what = kind == AlertKind.REVOCATION_REFUSED ? "refused to revoke protected" : "FAILED to revoke";
        String triage = kind == AlertKind.REVOCATION_REFUSED
                ? "The target is protected (superuser, Firebreak's own credential or the configured list). "
                  + "Decide by hand whether to stop it; if it should be lockable, remove it from the protected list."
                : "The credential may still work. Revoke it by hand at its source now, then find out why the "
                  + "kill switch could not (target down, missing privilege: see the detail and the kill switch log).";
        if (unverified) {
            what = "did NOT execute an unverified command to revoke";
            triage = "Nothing was revoked: the command's signature did not verify. Either something other than "
                    + "detection wrote to the commands topic (find the producer: Kafka ACLs, broker audit log) or "
                    + "detection and the kill switch hold different secrets (firebreak.detection.command.signing.secret, "
                    + "firebreak.killswitch.command.verification.secret). If the burst is real, revoke by hand."
                    + (dev.firebreak.schema.signing.RecordSignatures.isManual(command)
                    ? " This one claims to be a manual command: the operator's firebreak revoke and the kill switch"
                      + " must hold the same firebreak.killswitch.operator.secret." : "");
        }
        return Optional.of(Alert.newBuilder()
                .setAlertId("killswitch:" + (unverified ? "unverified:" : "") + command.getCommandId() + ":" + target)
                .setKind(kind)
                .setSeverity(Severity.CRITICAL)
                .setRuleId(command.getRuleId())
                .setPrincipal(command.getPrincipal())
                .setSummary("Kill switch " + what + " target " + target + " for principal " + command.getPrincipal()
                        + " (rule " + command.getRuleId() + "): " + revocation.detail()
                        + ". The principal may still be active: act by hand.")
                .setResponse(Response.ALERT_ONLY)
                .setWindowStartUs(command.getWindowStartUs())
                .setWindowEndUs(command.getWindowEndUs())
                .setObserved(0)
                .setThreshold(0)
                .setTriggerEventId(command.getTriggerEventId())
                .setTriggerEventTimeUs(command.getTriggerEventTimeUs())
                .setBackendPids(command.getBackendPids())
                .setCreatedTimeUs(Micros.now())
                .setTriage(triage)
                .setTags(List.of("killswitch"))
                .build());
    }

    private void record(RevokeCommand command, String kind, RevocationOutcome outcome, long started, long completed) {
        String tag = outcome.name();
        Counter.builder(REVOCATIONS).description("Kill switch outcomes per target")
                .tag("kind", kind).tag("action", "revoke").tag("outcome", tag)
                .register(meters).increment();
        Counter.builder(PRINCIPAL_REVOCATIONS).description("Kill switch outcomes per principal (bounded label)")
                .tag("principal", principals.of(command.getPrincipal())).tag("kind", kind).tag("outcome", tag)
                .register(meters).increment();
        timer(REVOKE_DURATION, "Start of a revocation to its confirmation", kind, tag)
                .record(completed - started, TimeUnit.MICROSECONDS);
        if (outcome == RevocationOutcome.REVOKED) {
            // Producer clocks may be skewed or absent (0); a negative latency is not a measurement.
            if (command.getIssuedTimeUs() > 0 && completed >= command.getIssuedTimeUs()) {
                timer(COMMAND_TO_CONFIRMED, "Revoke command issued to target confirmed revoked", kind, null)
                        .record(completed - command.getIssuedTimeUs(), TimeUnit.MICROSECONDS);
            }
            if (command.getTriggerEventTimeUs() > 0 && completed >= command.getTriggerEventTimeUs()) {
                timer(TRIGGER_TO_CONFIRMED, "Triggering event to target confirmed revoked", kind, null)
                        .record(completed - command.getTriggerEventTimeUs(), TimeUnit.MICROSECONDS);
            }
        }
    }

    private Timer timer(String name, String description, String kind, String outcome) {
        Timer.Builder builder = Timer.builder(name).description(description).publishPercentileHistogram()
                .tag("kind", kind);
        if (outcome != null) {
            builder.tag("outcome", outcome);
        }
        return builder.register(meters);
    }

    /** Stops the lanes; revokers are closed by their owner. */
    @Override
    public void close() {
        lanes.values().forEach(ExecutorService::shutdownNow);
    }

    /** Who asked, for the retry log line; formatted only when a retry is logged. */
    private record LogContext(String ruleLabel, String ruleId, String principal, Long windowStartUs, Long windowEndUs) {
        @Override
        public String toString() {
            String window = windowStartUs == null ? ""
                    : " window=[" + Micros.format(windowStartUs) + ".." + Micros.format(windowEndUs) + "]";
            return ruleLabel + "=" + Printable.of(ruleId) + " principal=" + Printable.of(principal) + window;
        }
    }

    /** A target on its way through a lane. */
    private static final class Pending {
        final String target;
        final String kind;
        final long startedUs;
        volatile int attempts;
        CompletableFuture<Revocation> future;
        Revocation immediate;

        Pending(String target, String kind, long startedUs) {
            this.target = target;
            this.kind = kind;
            this.startedUs = startedUs;
        }

        static Pending done(String target, long startedUs, Revocation revocation) {
            Pending p = new Pending(target, NO_KIND, startedUs);
            p.immediate = revocation;
            p.attempts = 1;
            return p;
        }

        int attempts() {
            return Math.max(attempts, 1);
        }
    }
}
