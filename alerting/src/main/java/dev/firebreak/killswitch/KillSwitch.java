package dev.firebreak.killswitch;

import dev.firebreak.schema.Micros;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes one {@link RevokeCommand}: every target goes to the {@link Revoker} that handles it, and
 * each outcome becomes a {@link RevocationResult}, a WARN log line, metrics and, when the kill switch
 * refused or failed, a CRITICAL {@link Alert}. Transport-free: {@link KillSwitchService} feeds it from
 * Kafka and publishes what it returns.
 *
 * <p>Metrics: counter {@value #REVOCATIONS} (tag {@code outcome}); timers {@value #REVOKE_DURATION}
 * (start of the revocation to confirmed, tag {@code outcome}), and for REVOKED targets
 * {@value #COMMAND_TO_CONFIRMED} (command issued to confirmed) and {@value #TRIGGER_TO_CONFIRMED}
 * (the triggering event to confirmed: the pipeline's end-to-end latency).
 */
public final class KillSwitch {
    public static final String REVOCATIONS = "firebreak.killswitch.revocations";
    public static final String REVOKE_DURATION = "firebreak.killswitch.revoke.duration";
    public static final String COMMAND_TO_CONFIRMED = "firebreak.killswitch.command.to.confirmed";
    public static final String TRIGGER_TO_CONFIRMED = "firebreak.killswitch.trigger.to.confirmed";

    private static final Logger log = LoggerFactory.getLogger(KillSwitch.class);

    private final List<Revoker> revokers;
    private final boolean forceDryRun;
    private final MeterRegistry meters;

    /**
     * @param revokers    consulted in order; the first that handles a target revokes it
     * @param forceDryRun treat every command as a dry run
     * @param meters      where the metrics go
     */
    public KillSwitch(List<Revoker> revokers, boolean forceDryRun, MeterRegistry meters) {
        this.revokers = List.copyOf(revokers);
        this.forceDryRun = forceDryRun;
        this.meters = Objects.requireNonNull(meters, "meters");
    }

    /** The result for one target, and the alert that must accompany it, if any. */
    public record Outcome(RevocationResult result, Optional<Alert> alert) {
    }

    /** Revokes every target of the command (each once, in order) and reports each. Never throws for a target. */
    public List<Outcome> execute(RevokeCommand command) {
        boolean dryRun = forceDryRun || command.getDryRun();
        // A command without targets is malformed; report it against its principal rather than drop it.
        List<String> targets = command.getTargets().isEmpty()
                ? List.of(command.getPrincipal()) : List.copyOf(new LinkedHashSet<>(command.getTargets()));
        List<Outcome> outcomes = new ArrayList<>(targets.size());
        for (String target : targets) {
            long started = Micros.now();
            Revocation revocation = command.getTargets().isEmpty()
                    ? Revocation.failed("command has no targets")
                    : revoke(target, command.getBackendPids(), dryRun);
            outcomes.add(report(command, target, started, revocation));
        }
        return outcomes;
    }

    private Revocation revoke(String target, List<Integer> pids, boolean dryRun) {
        Principal principal;
        try {
            principal = Principal.parse(target);
        } catch (IllegalArgumentException e) {
            return Revocation.failed("malformed target: " + e.getMessage());
        }
        Optional<Revoker> revoker = revokers.stream().filter(r -> r.handles(principal)).findFirst();
        if (revoker.isEmpty()) {
            return Revocation.failed("no revoker for " + target + " (this kill switch handles "
                    + revokers.stream().map(Revoker::describe).toList() + ")");
        }
        try {
            return revoker.get().revoke(principal, pids, dryRun);
        } catch (RuntimeException e) {
            // A revoker bug must still end in a loud FAILED, never in silence or a claim of success.
            log.error("revoker {} threw while revoking {}", revoker.get().describe(), Printable.of(target), e);
            return Revocation.failed("revoker error: " + e);
        }
    }

    private Outcome report(RevokeCommand command, String target, long started, Revocation revocation) {
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
                .build();
        log.warn("kill switch {}: rule={} principal={} target={} window=[{}..{}] terminated={} took={}ms detail={}",
                outcome, Printable.of(command.getRuleId()), Printable.of(command.getPrincipal()), Printable.of(target),
                Micros.format(command.getWindowStartUs()), Micros.format(command.getWindowEndUs()),
                revocation.terminatedPids(), String.format(Locale.ROOT, "%.2f", (completed - started) / 1000.0),
                Printable.of(revocation.detail()));
        record(command, outcome, started, completed);
        return new Outcome(result, alertFor(command, target, revocation));
    }

    private Optional<Alert> alertFor(RevokeCommand command, String target, Revocation revocation) {
        AlertKind kind = switch (revocation.outcome()) {
            case REFUSED_PROTECTED -> AlertKind.REVOCATION_REFUSED;
            case FAILED -> AlertKind.REVOCATION_FAILED;
            default -> null;
        };
        if (kind == null) {
            return Optional.empty();
        }
        String what = kind == AlertKind.REVOCATION_REFUSED ? "refused to revoke protected" : "FAILED to revoke";
        return Optional.of(Alert.newBuilder()
                .setAlertId("killswitch:" + command.getCommandId() + ":" + target)
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
                .build());
    }

    private void record(RevokeCommand command, RevocationOutcome outcome, long started, long completed) {
        String tag = outcome.name();
        Counter.builder(REVOCATIONS).description("Kill switch outcomes per target").tag("outcome", tag)
                .register(meters).increment();
        timer(REVOKE_DURATION, "Start of a revocation to its confirmation", tag).record(completed - started, TimeUnit.MICROSECONDS);
        if (outcome == RevocationOutcome.REVOKED) {
            // Producer clocks may be skewed or absent (0); a negative latency is not a measurement.
            if (command.getIssuedTimeUs() > 0 && completed >= command.getIssuedTimeUs()) {
                timer(COMMAND_TO_CONFIRMED, "Revoke command issued to sessions confirmed gone", null)
                        .record(completed - command.getIssuedTimeUs(), TimeUnit.MICROSECONDS);
            }
            if (command.getTriggerEventTimeUs() > 0 && completed >= command.getTriggerEventTimeUs()) {
                timer(TRIGGER_TO_CONFIRMED, "Triggering event to sessions confirmed gone", null)
                        .record(completed - command.getTriggerEventTimeUs(), TimeUnit.MICROSECONDS);
            }
        }
    }

    private Timer timer(String name, String description, String outcome) {
        Timer.Builder builder = Timer.builder(name).description(description).publishPercentileHistogram();
        if (outcome != null) {
            builder.tag("outcome", outcome);
        }
        return builder.register(meters);
    }
}
