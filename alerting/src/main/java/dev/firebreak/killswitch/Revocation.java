package dev.firebreak.killswitch;

import dev.firebreak.schema.Micros;

import dev.firebreak.schema.RevocationOutcome;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link Revoker} did to one target.
 *
 * @param outcome         REVOKED, ALREADY_REVOKED, REFUSED_PROTECTED, FAILED or DRY_RUN
 * @param detail          human-readable explanation, goes to the result and the alert
 * @param terminatedPids  sessions (or equivalent) the revoker ended; empty for anything but a revocation
 * @param completedTimeUs epoch micros when the target was confirmed locked and its sessions gone (or
 *                        when the revoker gave up or refused)
 */
public record Revocation(RevocationOutcome outcome, String detail, List<Integer> terminatedPids, long completedTimeUs) {
    public Revocation {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
        terminatedPids = List.copyOf(terminatedPids);
    }

    /** A failure: nothing can be claimed about the target. */
    public static Revocation failed(String detail) {
        return new Revocation(RevocationOutcome.FAILED, detail, List.of(), Micros.now());
    }
}
