package dev.firebreak.launcher.bench;

import dev.firebreak.schema.RevokeCommand;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The revoke commands of one detection run held against the answer key. A command belongs to a
 * burst when it comes from the burst rule and names the burst's owner or one of its credentials
 * (whichever the topology keys the window by); every other command is unexpected, a false positive
 * of the workload or a command of another rule.
 *
 * @param commandsPerBurst commands per burst, in the order of the key
 * @param unexpected       commands that belong to no burst
 */
record BurstScore(Map<BurstKey, Integer> commandsPerBurst, List<RevokeCommand> unexpected) {

    static BurstScore of(List<BurstKey> key, String ruleId, Collection<RevokeCommand> commands) {
        Map<String, BurstKey> byPrincipal = new HashMap<>();
        Map<BurstKey, Integer> counts = new LinkedHashMap<>();
        for (BurstKey burst : key) {
            counts.put(burst, 0);
            burst.principals().forEach(p -> byPrincipal.put(p, burst));
        }
        List<RevokeCommand> unexpected = new ArrayList<>();
        for (RevokeCommand command : commands) {
            if (command.getDryRun()) {
                continue; // never executed
            }
            BurstKey burst = byPrincipal.get(command.getPrincipal());
            if (burst != null && ruleId.equals(command.getRuleId())) {
                counts.merge(burst, 1, Integer::sum);
            } else {
                unexpected.add(command);
            }
        }
        return new BurstScore(counts, List.copyOf(unexpected));
    }

    /** Bursts that got exactly one command. */
    int caught() {
        return count(n -> n == 1, b -> true);
    }

    /** Bursts that got none. */
    int missed() {
        return count(n -> n == 0, b -> true);
    }

    /** Bursts that got more than one. */
    int duplicated() {
        return count(n -> n > 1, b -> true);
    }

    /** Bursts of one kind ({@link BurstKey#kind()}) that got a number of commands matching {@code commands}. */
    int count(Predicate<Integer> commands, Predicate<BurstKey> which) {
        return (int) commandsPerBurst.entrySet().stream()
                .filter(e -> which.test(e.getKey()) && commands.test(e.getValue())).count();
    }
}
