package dev.firebreak.oncall;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Which alerts are firing, which were resolved, and what must be pushed to Alertmanager now. Pure: no
 * I/O, no clock of its own (every call takes {@code now}), one thread at a time.
 *
 * <p>Resolution rules:
 * <ul>
 *   <li>rule alerts with response ALERT_ONLY, refused revocations and unknown kinds: after the hold;</li>
 *   <li>rule alerts with response REVOKE: when a REINSTATE result with outcome REINSTATED, completed
 *       after the alert was created, names the alert's principal (as principal or target): a human
 *       closed the incident. When every result of its command is DRY_RUN or REFUSED_PROTECTED nothing
 *       was revoked, no reinstatement will ever come, and the alert is held like an alert-only one (a
 *       refusal raises its own alert);</li>
 *   <li>failed revocations ({@code killswitch:<command_id>:<target>}): when a later REVOKE result of the
 *       same command and target is REVOKED or ALREADY_REVOKED, or the target is reinstated;</li>
 *   <li>any alert: when older than the maximum age, so a running notifier forgets what a restarted one,
 *       rebuilding only that far back, would never have seen.</li>
 * </ul>
 * The rule alert of a command has the command's id as alert id; the kill switch's alerts are linked to
 * their command and target through the results, since both ids may contain {@code ':'}.
 *
 * <p>Delivery: a new or changed alert is due at once, every active alert again each resend interval.
 * Firing alerts are announced with {@code endsAt = now + 3 x resend interval}; a resolved alert is pushed
 * until every Alertmanager accepted it or until the last announced {@code endsAt} passed, after which
 * Alertmanager considers it resolved by itself.
 */
public final class OnCallState {
    /** What to push about one alert, a snapshot taken by {@link #due(Instant)}. */
    public record Notification(String alertId, Alert alert, List<RevocationResult> results, boolean resolved,
                               String resolution, Instant endsAt) {
        public Notification {
            results = List.copyOf(results);
        }
    }

    private static final int ANNOUNCE_FACTOR = 3;

    private final Duration resendInterval;
    private final Duration hold;
    private final Duration maxAge;
    private final Duration announceWindow;

    private final Map<String, Entry> active = new LinkedHashMap<>();
    /** Alert id to when it was resolved: a replay of the same alert must not fire again. */
    private final Map<String, Instant> resolved = new HashMap<>();
    /** Command id to target to the latest REVOKE result (by completion time). */
    private final Map<String, Map<String, RevocationResult>> commands = new HashMap<>();
    /** Kill switch alert id to the command and target it is about. */
    private final Map<String, Link> links = new HashMap<>();
    /** Principal or target to the completion time (µs) of its latest REINSTATED result. */
    private final Map<String, Long> reinstatedUs = new HashMap<>();
    private Instant nextResend = Instant.MIN;

    private record Link(String commandId, String target, long completedUs) {
    }

    private static final class Entry {
        Alert alert;
        boolean dirty = true;
        Instant resolvedAt;
        String resolution;
        Instant announcedUntil = Instant.MIN;

        Entry(Alert alert) {
            this.alert = alert;
        }
    }

    /**
     * @param resendInterval how often every active alert is due again
     * @param hold           how long alert-only and refused alerts stay firing
     * @param maxAge         age at which an alert nobody resolved is dropped
     */
    public OnCallState(Duration resendInterval, Duration hold, Duration maxAge) {
        this.resendInterval = Objects.requireNonNull(resendInterval, "resendInterval");
        this.hold = Objects.requireNonNull(hold, "hold");
        this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
        this.announceWindow = resendInterval.multipliedBy(ANNOUNCE_FACTOR);
    }

    /** An alert read from the alerts topic: new, an update of an active one, or a replay. */
    public void onAlert(Alert alert, Instant now) {
        String id = alert.getAlertId();
        Instant created = instant(alert.getCreatedTimeUs());
        Instant resolvedAt = resolved.get(id);
        if (resolvedAt != null && !created.isAfter(resolvedAt)) {
            return; // the same episode again: it was closed
        }
        Entry entry = active.get(id);
        if (entry == null || (entry.resolvedAt != null && created.isAfter(entry.resolvedAt))) {
            resolved.remove(id);
            entry = new Entry(alert);
            active.put(id, entry);
        } else if (entry.resolvedAt == null && !entry.alert.equals(alert)) {
            entry.alert = alert;
            entry.dirty = true;
        }
        evaluate(entry, now);
        retireIfUnannounced(id, entry, now);
    }

    /** A kill switch result: updates what was done for a command, may resolve alerts. */
    public void onResult(RevocationResult result, Instant now) {
        if (result.getAction() == RevocationAction.REINSTATE) {
            if (result.getOutcome() == RevocationOutcome.REINSTATED) {
                reinstatedUs.merge(result.getPrincipal(), result.getCompletedTimeUs(), Math::max);
                reinstatedUs.merge(result.getTarget(), result.getCompletedTimeUs(), Math::max);
                evaluateAll(now);
            }
            return;
        }
        String commandId = result.getCommandId();
        // sorted by target: a stable response_taken text
        Map<String, RevocationResult> targets = commands.computeIfAbsent(commandId, c -> new TreeMap<>());
        RevocationResult previous = targets.get(result.getTarget());
        if (previous != null && previous.getCompletedTimeUs() > result.getCompletedTimeUs()) {
            return; // an older attempt read late
        }
        targets.put(result.getTarget(), result);
        links.put(killSwitchAlertId(commandId, result.getTarget()),
                new Link(commandId, result.getTarget(), result.getCompletedTimeUs()));
        for (Map.Entry<String, Entry> e : active.entrySet()) {
            if (e.getValue().resolvedAt == null && commandId.equals(commandOf(e.getKey()))) {
                e.getValue().dirty = true; // what was done changed: on-call sees it at once
            }
        }
        evaluateAll(now);
    }

    /**
     * Resolves what the passage of time resolves and returns what must be pushed now: the new and
     * changed alerts, or every active one when the resend interval has come round. Marks them clean:
     * report the push with {@link #delivered}.
     */
    public List<Notification> due(Instant now) {
        evaluateAll(now);
        boolean resend = !now.isBefore(nextResend);
        if (resend) {
            nextResend = now.plus(resendInterval);
            prune(now);
        }
        List<Notification> out = new ArrayList<>();
        for (Map.Entry<String, Entry> e : active.entrySet()) {
            Entry entry = e.getValue();
            if (resend || entry.dirty) {
                entry.dirty = false;
                out.add(notification(e.getKey(), entry, now));
            }
        }
        return out;
    }

    /**
     * Records the outcome of pushing {@code pushed}: a firing alert accepted anywhere is announced until
     * its {@code endsAt}; a resolved alert accepted by all Alertmanagers is done. Whatever failed is
     * pushed again at the next resend.
     */
    public void delivered(List<Notification> pushed, int accepted, int alertmanagers, Instant now) {
        for (Notification n : pushed) {
            Entry entry = active.get(n.alertId());
            if (entry == null || entry.alert != n.alert() || n.resolved() != (entry.resolvedAt != null)) {
                continue; // replaced or resolved since the snapshot
            }
            if (!n.resolved() && accepted > 0) {
                entry.announcedUntil = max(entry.announcedUntil, n.endsAt());
            } else if (n.resolved() && accepted == alertmanagers) {
                retire(n.alertId(), entry);
            }
        }
        retireUnannounced(now);
    }

    /** Alerts firing now. */
    public int firing() {
        return (int) active.values().stream().filter(e -> e.resolvedAt == null).count();
    }

    /** Alerts firing or resolved but not yet delivered as resolved. */
    public int tracked() {
        return active.size();
    }

    /** The kill switch's alert id for a target of a command. */
    public static String killSwitchAlertId(String commandId, String target) {
        return "killswitch:" + commandId + ":" + target;
    }

    private Notification notification(String id, Entry entry, Instant now) {
        String commandId = commandOf(id);
        List<RevocationResult> results = commandId == null ? List.of()
                : List.copyOf(commands.getOrDefault(commandId, Map.of()).values());
        boolean isResolved = entry.resolvedAt != null;
        return new Notification(id, entry.alert, results, isResolved, entry.resolution,
                isResolved ? now : now.plus(announceWindow));
    }

    /** The command an alert is about: its own id for rule alerts, the linked one for kill switch alerts. */
    private String commandOf(String alertId) {
        Link link = links.get(alertId);
        return link != null ? link.commandId() : alertId;
    }

    private void evaluateAll(Instant now) {
        active.values().forEach(entry -> evaluate(entry, now));
        retireUnannounced(now);
    }

    private void evaluate(Entry entry, Instant now) {
        if (entry.resolvedAt != null) {
            return;
        }
        Alert alert = entry.alert;
        long createdUs = alert.getCreatedTimeUs();
        Instant created = instant(createdUs);
        if (!now.isBefore(created.plus(maxAge))) {
            resolve(entry, created.plus(maxAge), "expired after " + maxAge.toMinutes() + " min unresolved", now);
            return;
        }
        AlertKind kind = alert.getKind();
        if (kind == AlertKind.RULE_TRIGGERED && alert.getResponse() == Response.REVOKE && !nothingRevoked(alert.getAlertId())) {
            Long reinstated = reinstatedUs.get(alert.getPrincipal());
            if (reinstated != null && reinstated >= createdUs) {
                resolve(entry, instant(reinstated), "principal reinstated", now);
            }
        } else if (kind == AlertKind.REVOCATION_FAILED) {
            evaluateFailed(entry, now);
        } else if (!now.isBefore(created.plus(hold))) {
            resolve(entry, created.plus(hold), "held " + hold.toMinutes() + " min", now);
        }
    }

    private void evaluateFailed(Entry entry, Instant now) {
        Alert alert = entry.alert;
        Link link = links.get(alert.getAlertId());
        if (link == null) {
            return; // its result not read yet: nothing can be known about a retry
        }
        long createdUs = alert.getCreatedTimeUs();
        RevocationResult latest = commands.getOrDefault(link.commandId(), Map.of()).get(link.target());
        if (latest != null && latest.getCompletedTimeUs() >= createdUs
                && (latest.getOutcome() == RevocationOutcome.REVOKED || latest.getOutcome() == RevocationOutcome.ALREADY_REVOKED)) {
            resolve(entry, instant(latest.getCompletedTimeUs()), "target " + latest.getOutcome() + " on retry", now);
            return;
        }
        Long reinstated = reinstatedUs.get(link.target());
        if (reinstated != null && reinstated >= createdUs) {
            resolve(entry, instant(reinstated), "target reinstated", now);
        }
    }

    private boolean nothingRevoked(String commandId) {
        Map<String, RevocationResult> results = commands.get(commandId);
        return results != null && !results.isEmpty() && results.values().stream().allMatch(r ->
                r.getOutcome() == RevocationOutcome.DRY_RUN || r.getOutcome() == RevocationOutcome.REFUSED_PROTECTED);
    }

    private void resolve(Entry entry, Instant at, String why, Instant now) {
        entry.resolvedAt = at.isAfter(now) ? now : at;
        entry.resolution = why;
        entry.dirty = true;
        // A notifier that ran before this one may have announced it firing until then.
        entry.announcedUntil = max(entry.announcedUntil, entry.resolvedAt.plus(announceWindow));
    }

    private void retireIfUnannounced(String id, Entry entry, Instant now) {
        if (entry.resolvedAt != null && !now.isBefore(entry.announcedUntil)) {
            retire(id, entry);
        }
    }

    private void retireUnannounced(Instant now) {
        List<String> done = active.entrySet().stream()
                .filter(e -> e.getValue().resolvedAt != null && !now.isBefore(e.getValue().announcedUntil))
                .map(Map.Entry::getKey).toList();
        done.forEach(id -> retire(id, active.get(id)));
    }

    private void retire(String id, Entry entry) {
        active.remove(id);
        resolved.put(id, entry.resolvedAt);
    }

    /** Forgets facts older than the maximum age: no alert they could affect is still tracked. */
    private void prune(Instant now) {
        long cutoffUs = micros(now.minus(maxAge));
        commands.values().removeIf(targets -> targets.values().stream()
                .allMatch(r -> r.getCompletedTimeUs() < cutoffUs));
        links.values().removeIf(l -> l.completedUs() < cutoffUs);
        reinstatedUs.values().removeIf(us -> us < cutoffUs);
        Instant tombstoneCutoff = now.minus(maxAge).minus(announceWindow);
        resolved.values().removeIf(at -> at.isBefore(tombstoneCutoff));
    }

    static Instant instant(long epochMicros) {
        return Instant.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L), Math.floorMod(epochMicros, 1_000_000L) * 1_000L);
    }

    static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
