package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The ordering and commit rules of the parallel kill switch: unit cases, then a randomised property over
 * many interleavings (seeded, so a failure names the seed that reproduces it).
 */
class CommandLedgerTest {
    static final TopicPartition P0 = new TopicPartition("commands", 0);
    static final TopicPartition P1 = new TopicPartition("commands", 1);

    @Test
    void aPrincipalsSecondCommandWaitsForItsFirstWhileAnotherPrincipalRuns() {
        CommandLedger<String> ledger = new CommandLedger<>();
        CommandLedger.Ref<String> a1 = ledger.add(P0, 0, "a", "a1").orElseThrow();
        assertThat(ledger.add(P0, 1, "a", "a2")).as("waits for a1").isEmpty();
        CommandLedger.Ref<String> b1 = ledger.add(P0, 2, "b", "b1").orElseThrow();

        assertThat(ledger.complete(b1)).isEmpty();
        assertThat(ledger.commitsDue()).as("b1 is done but a1 below it is not").isEqualTo(Map.of(P0, 0L));
        ledger.committed(Map.of(P0, 0L));
        CommandLedger.Ref<String> a2 = ledger.complete(a1).orElseThrow();
        assertThat(a2.payload()).isEqualTo("a2");
        assertThat(ledger.commitsDue()).isEqualTo(Map.of(P0, 1L));
        ledger.complete(a2);
        assertThat(ledger.commitsDue()).as("all done: one past the last").isEqualTo(Map.of(P0, 3L));
        ledger.committed(Map.of(P0, 3L));
        assertThat(ledger.commitsDue()).as("nothing new").isEmpty();
        assertThat(ledger.inFlight()).isZero();
    }

    @Test
    void gapsInOffsetsAndSkippedUnreadableRecordsCommitPastThem() {
        CommandLedger<String> ledger = new CommandLedger<>();
        CommandLedger.Ref<String> first = ledger.add(P1, 10, "a", "x").orElseThrow();
        ledger.addDone(P1, 12); // unreadable, alerted and skipped
        CommandLedger.Ref<String> later = ledger.add(P1, 15, "b", "y").orElseThrow(); // 11, 13, 14: transaction markers
        ledger.complete(later);
        assertThat(ledger.commitsDue()).isEqualTo(Map.of(P1, 10L));
        ledger.complete(first);
        assertThat(ledger.commitsDue()).isEqualTo(Map.of(P1, 16L));
    }

    @Test
    void aDroppedPartitionsWaitingCommandIsNoLongerOwnedAndARedeliveryIsNew() {
        CommandLedger<String> ledger = new CommandLedger<>();
        CommandLedger.Ref<String> running = ledger.add(P0, 0, "a", "a1").orElseThrow();
        ledger.add(P0, 1, "a", "a2");
        assertThat(ledger.pending(List.of(P0))).isEqualTo(2);
        ledger.drop(List.of(P0));
        assertThat(ledger.pending(List.of(P0))).isZero();
        assertThat(ledger.commitsDue()).isEmpty();
        CommandLedger.Ref<String> waiting = ledger.complete(running).orElseThrow();
        assertThat(ledger.owns(waiting)).as("the partition's new owner runs it").isFalse();
        // assigned back: the same offset is read again and is a command of its own
        Optional<CommandLedger.Ref<String>> again = ledger.add(P0, 1, "a", "a2 again");
        assertThat(again).as("waits behind the stale one of its principal").isEmpty();
        CommandLedger.Ref<String> redelivered = ledger.complete(waiting).orElseThrow();
        assertThat(ledger.owns(redelivered)).isTrue();
        assertThat(ledger.commitsDue()).isEqualTo(Map.of(P0, 1L));
    }

    @Test
    void completingACommandThatIsNotRunningIsABug() {
        CommandLedger<String> ledger = new CommandLedger<>();
        ledger.add(P0, 0, "a", "a1");
        ledger.add(P0, 1, "a", "a2");
        CommandLedger.Ref<String> notStarted = new CommandLedger.Ref<>(P0, 1, 2, "a", "a2");
        assertThatThrownBy(() -> ledger.complete(notStarted)).isInstanceOf(IllegalStateException.class);
    }

    /**
     * Property: whatever order the workers finish in and however reads, completions and commits
     * interleave, (1) a principal's commands start in the order read, one at a time, (2) no commit passes a
     * command not complete, (3) commits never go back, and (4) once everything is complete, every partition
     * commits one past its last offset.
     */
    @Test
    void randomInterleavingsKeepPerPrincipalOrderAndNeverCommitPastUnfinishedWork() {
        for (long seed = 1; seed <= 1_000; seed++) {
            try {
                interleave(new Random(seed));
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    private static void interleave(Random random) {
        CommandLedger<Integer> ledger = new CommandLedger<>();
        List<TopicPartition> partitions = List.of(P0, P1, new TopicPartition("commands", 2));
        String[] principals = {"a", "b", "c", "d", "e"};
        Map<TopicPartition, Long> nextOffset = new HashMap<>();
        Map<String, List<Integer>> readOrder = new HashMap<>();
        Map<String, List<Integer>> startOrder = new HashMap<>();
        Map<Integer, long[]> where = new HashMap<>(); // command -> {partition index, offset}
        Set<Integer> complete = new HashSet<>();
        List<CommandLedger.Ref<Integer>> running = new ArrayList<>();
        Map<TopicPartition, Long> lastCommit = new HashMap<>();
        int commands = 5 + random.nextInt(60);
        int read = 0;
        while (read < commands || !running.isEmpty()) {
            int action = random.nextInt(10);
            if (read < commands && (action < 4 || running.isEmpty())) {
                int pi = random.nextInt(partitions.size());
                TopicPartition tp = partitions.get(pi);
                long offset = nextOffset.getOrDefault(tp, 0L) + random.nextInt(3); // gaps: transaction markers
                nextOffset.put(tp, offset + 1);
                String key = principals[random.nextInt(random.nextBoolean() ? 2 : principals.length)];
                int id = read++;
                where.put(id, new long[] {pi, offset});
                readOrder.computeIfAbsent(key, k -> new ArrayList<>()).add(id);
                ledger.add(tp, offset, key, id).ifPresent(r -> started(r, running, startOrder));
            } else if (action < 8 && !running.isEmpty()) {
                CommandLedger.Ref<Integer> done = running.remove(random.nextInt(running.size()));
                complete.add(done.payload());
                ledger.complete(done).ifPresent(r -> started(r, running, startOrder));
            } else {
                Map<TopicPartition, Long> due = ledger.commitsDue();
                due.forEach((tp, offset) -> {
                    assertThat(offset).as("commit goes forward on " + tp).isGreaterThan(lastCommit.getOrDefault(tp, -1L));
                    where.forEach((id, at) -> {
                        if (partitions.get((int) at[0]).equals(tp) && at[1] < offset) {
                            assertThat(complete).as("commit " + offset + " on " + tp + " passes command " + id).contains(id);
                        }
                    });
                });
                if (random.nextInt(4) > 0) { // sometimes the commit fails and is due again later
                    ledger.committed(due);
                    lastCommit.putAll(due);
                }
            }
            Set<String> busy = new HashSet<>();
            running.forEach(r -> assertThat(busy.add(r.key())).as("two commands of " + r.key() + " at once").isTrue());
        }
        startOrder.forEach((key, started) -> assertThat(started).as("start order of " + key).isEqualTo(readOrder.get(key)));
        assertThat(complete).hasSize(commands);
        assertThat(ledger.inFlight()).isZero();
        Map<TopicPartition, Long> finalCommits = new HashMap<>(lastCommit);
        finalCommits.putAll(ledger.commitsDue());
        nextOffset.forEach((tp, next) -> {
            long lastRead = where.values().stream().filter(at -> partitions.get((int) at[0]).equals(tp))
                    .mapToLong(at -> at[1]).max().orElseThrow();
            assertThat(finalCommits.get(tp)).as("everything done on " + tp).isEqualTo(lastRead + 1);
        });
    }

    private static void started(CommandLedger.Ref<Integer> ref, List<CommandLedger.Ref<Integer>> running,
                                Map<String, List<Integer>> startOrder) {
        running.add(ref);
        startOrder.computeIfAbsent(ref.key(), k -> new ArrayList<>()).add(ref.payload());
    }
}
