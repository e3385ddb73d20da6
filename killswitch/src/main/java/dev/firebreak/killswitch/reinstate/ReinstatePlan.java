package dev.firebreak.killswitch.reinstate;

import dev.firebreak.killswitch.KillSwitch.ReinstateTarget;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.RecordSignatures.Verification;
import dev.firebreak.schema.signing.SigningKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Works out, from the kill switch's results in topic order, what to restore for one principal: for
 * every target revoked on its behalf, the state recorded by the FIRST revocation since the target
 * was last reinstated. Later revocations of an already locked target record the locked state, and
 * restoring that would restore nothing. Pure: no I/O.
 *
 * <p>Only results signed with the kill switch's result key count ({@link RecordSignatures}): anyone
 * able to write to the results topic could otherwise choose the state reinstate restores (a LOGIN, a
 * grant the role never had) or hide a revocation behind a fake REINSTATE. The others concerning the
 * principal are kept aside in {@link #unverified()} for the operator to see, and ignored.
 */
public final class ReinstatePlan {
    private final String principal;
    private final SigningKey resultKey;
    private final Map<String, ReinstateTarget> open = new LinkedHashMap<>();
    private final List<Unverified> unverified = new ArrayList<>();
    private int seen;

    /** A result concerning the principal whose signature did not verify, and why. */
    public record Unverified(RevocationResult result, Verification verification) {
    }

    /**
     * @param principal the principal whose revocations are undone (the command's principal, or a target)
     * @param resultKey the kill switch's result signing key ({@code firebreak.killswitch.result.signing.secret})
     */
    public ReinstatePlan(String principal, SigningKey resultKey) {
        this.principal = principal;
        this.resultKey = java.util.Objects.requireNonNull(resultKey, "resultKey");
    }

    /** Feeds one result, in the order of the results topic (per target: key = target, one partition). */
    public void accept(RevocationResult result) {
        if (!concerns(result)) {
            return;
        }
        Verification verification = RecordSignatures.verify(result, resultKey);
        if (verification != Verification.VALID) {
            unverified.add(new Unverified(result, verification));
            return;
        }
        seen++;
        String target = result.getTarget();
        if (result.getAction() == RevocationAction.REINSTATE) {
            if (result.getOutcome() == RevocationOutcome.REINSTATED) {
                open.remove(target);
            }
            return;
        }
        // A FAILED revocation may still have changed the target (locked, but CONNECT left): its record counts.
        if (result.getPreviousState() != null && !open.containsKey(target)) {
            open.put(target, new ReinstateTarget(target, result.getRuleId(), result.getPreviousState()));
        }
    }

    private boolean concerns(RevocationResult result) {
        return principal.equals(result.getPrincipal()) || principal.equals(result.getTarget());
    }

    /** The targets to restore, each with the state to restore; empty when nothing is revoked. */
    public List<ReinstateTarget> targets() {
        return new ArrayList<>(open.values());
    }

    /** The results concerning the principal that were ignored because their signature did not verify. */
    public List<Unverified> unverified() {
        return List.copyOf(unverified);
    }

    /** How many verified results concerned the principal (to tell "never revoked" from "already reinstated"). */
    public int resultsSeen() {
        return seen;
    }
}
