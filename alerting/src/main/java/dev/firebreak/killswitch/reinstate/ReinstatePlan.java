package dev.firebreak.killswitch.reinstate;

import dev.firebreak.killswitch.KillSwitch.ReinstateTarget;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Works out, from the kill switch's results in topic order, what to restore for one principal: for
 * every target revoked on its behalf, the state recorded by the FIRST revocation since the target
 * was last reinstated. Later revocations of an already locked target record the locked state, and
 * restoring that would restore nothing. Pure: no I/O.
 */
public final class ReinstatePlan {
    private final String principal;
    private final Map<String, ReinstateTarget> open = new LinkedHashMap<>();
    private int seen;

    /** @param principal the principal whose revocations are undone (the command's principal, or a target) */
    public ReinstatePlan(String principal) {
        this.principal = principal;
    }

    /** Feeds one result, in the order of the results topic (per target: key = target, one partition). */
    public void accept(RevocationResult result) {
        if (!concerns(result)) {
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

    /** How many results concerned the principal (to tell "never revoked" from "already reinstated"). */
    public int resultsSeen() {
        return seen;
    }
}
