package dev.firebreak.launcher.bench;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One injected burst of the detection bench and its answer: {@code expected} must get exactly one
 * revoke command of the burst rule. A single-credential burst is expected on its credential; a
 * linked burst on the owner, whose window alone crosses the threshold (each credential stays below).
 *
 * @param id          0-based, in order of injection
 * @param linked      spread over linked credentials of one owner
 * @param expected    the principal that must be revoked: the credential, or the owner
 * @param credentials the principals whose events make up the burst
 * @param partitions  the partition of each credential's key, in the order of {@code credentials}
 */
record BurstKey(int id, boolean linked, String expected, List<String> credentials, List<Integer> partitions) {

    BurstKey {
        credentials = List.copyOf(credentials);
        partitions = List.copyOf(partitions);
        if (credentials.size() != partitions.size()) {
            throw new IllegalArgumentException("one partition per credential");
        }
    }

    /** Whether the burst's credentials sit on more than one partition (so in more than one task). */
    boolean crossPartition() {
        return partitions.stream().distinct().count() > 1;
    }

    /** Every principal a command for this burst may name: the owner and its credentials. */
    Set<String> principals() {
        Set<String> all = new LinkedHashSet<>();
        all.add(expected);
        all.addAll(credentials);
        return all;
    }

    /** The row label of this burst's kind in the report. */
    String kind() {
        if (!linked) {
            return "single credential";
        }
        return crossPartition() ? "linked, across partitions" : "linked, one partition";
    }
}
