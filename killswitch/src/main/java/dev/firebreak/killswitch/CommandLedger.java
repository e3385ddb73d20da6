package dev.firebreak.killswitch;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * Bookkeeping of the commands the kill switch works on in parallel: which command may start, and which
 * offset of each partition may be committed. Transport-free and thread-safe: the command loop adds and
 * commits, workers complete.
 *
 * <ul>
 *   <li>Order per key (the principal): a command starts only when every earlier command of its key is
 *       complete, so one principal's revoke commands never overtake each other; different keys run at once.</li>
 *   <li>Commit after acknowledgement: the offset due for a partition is its lowest command not yet complete
 *       (or one past the last, when all are), so a commit never passes a command whose results Kafka has
 *       not acknowledged, whatever order the workers finish in. Offsets may have gaps (transaction markers).</li>
 *   <li>Rebalance: a partition {@link #drop dropped} forgets its commands; a command of it not yet started
 *       is no longer {@link #owns owned}, so its worker skips it (the partition's new owner runs it).</li>
 * </ul>
 *
 * @param <T> what a command carries to its worker (the consumer record)
 */
final class CommandLedger<T> {

    /**
     * One command: where it was read, a sequence number telling apart a second delivery of the same offset
     * after a rebalance, and its payload.
     */
    record Ref<T>(TopicPartition partition, long offset, long seq, String key, T payload) {
    }

    private static final class Entry {
        final long seq;
        boolean done;

        Entry(long seq, boolean done) {
            this.seq = seq;
            this.done = done;
        }
    }

    /** Per owned partition: its commands by offset, and one past the highest offset seen. */
    private static final class Partition {
        final TreeMap<Long, Entry> entries = new TreeMap<>();
        long next = -1;
    }

    private final Map<TopicPartition, Partition> partitions = new HashMap<>();
    /** Per key: its commands in arrival order; the head is running, the rest wait for it. */
    private final Map<String, ArrayDeque<Ref<T>>> byKey = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private long seq;
    private int inFlight;

    /**
     * Records a command read at {@code offset}. Returns it when it may start now (no earlier command of its key is
     * pending), empty when it waits for one (it is handed out by {@link #complete}), or when the offset is not
     * beyond what this partition already holds (a duplicate delivery, ignored).
     */
    synchronized Optional<Ref<T>> add(TopicPartition partition, long offset, String key, T payload) {
        Partition p = partitions.computeIfAbsent(partition, tp -> new Partition());
        if (offset < p.next) {
            return Optional.empty();
        }
        Ref<T> ref = new Ref<>(partition, offset, ++seq, key, payload);
        p.entries.put(offset, new Entry(ref.seq(), false));
        p.next = offset + 1;
        inFlight++;
        ArrayDeque<Ref<T>> queue = byKey.computeIfAbsent(key, k -> new ArrayDeque<>());
        queue.addLast(ref);
        return queue.size() == 1 ? Optional.of(ref) : Optional.empty();
    }

    /** Records an offset that is finished as it is read (an unreadable command, skipped after its alert). */
    synchronized void addDone(TopicPartition partition, long offset) {
        Partition p = partitions.computeIfAbsent(partition, tp -> new Partition());
        if (offset >= p.next) {
            p.entries.put(offset, new Entry(++seq, true));
            p.next = offset + 1;
        }
    }

    /**
     * Marks a started command complete (its results acknowledged, or skipped as no longer owned) and returns
     * the next command of its key, which may start now.
     */
    synchronized Optional<Ref<T>> complete(Ref<T> ref) {
        Partition p = partitions.get(ref.partition());
        Entry entry = p == null ? null : p.entries.get(ref.offset());
        if (entry != null && entry.seq == ref.seq()) {
            entry.done = true;
        }
        inFlight--;
        ArrayDeque<Ref<T>> queue = byKey.get(ref.key());
        if (queue == null || queue.peekFirst() != ref) {
            throw new IllegalStateException("completed a command that was not running: " + ref.partition() + "@" + ref.offset());
        }
        queue.removeFirst();
        if (queue.isEmpty()) {
            byKey.remove(ref.key());
            return Optional.empty();
        }
        return Optional.of(queue.peekFirst());
    }

    /** Whether the command still belongs to an owned partition (false once that partition was dropped). */
    synchronized boolean owns(Ref<T> ref) {
        Partition p = partitions.get(ref.partition());
        Entry entry = p == null ? null : p.entries.get(ref.offset());
        return entry != null && entry.seq == ref.seq();
    }

    /**
     * The offsets to commit: per owned partition whose watermark moved past the last commit, its lowest
     * command not complete, or one past the last when all are. Complete commands below it are forgotten.
     */
    synchronized Map<TopicPartition, Long> commitsDue() {
        Map<TopicPartition, Long> due = new HashMap<>();
        partitions.forEach((tp, p) -> {
            while (!p.entries.isEmpty() && p.entries.firstEntry().getValue().done) {
                p.entries.pollFirstEntry();
            }
            long watermark = p.entries.isEmpty() ? p.next : p.entries.firstKey();
            Long last = committed.get(tp);
            if (watermark >= 0 && (last == null || watermark > last)) {
                due.put(tp, watermark);
            }
        });
        return due;
    }

    /** Records a successful commit of {@code offsets} (from {@link #commitsDue}). */
    synchronized void committed(Map<TopicPartition, Long> offsets) {
        offsets.forEach((tp, offset) -> {
            if (partitions.containsKey(tp)) {
                committed.merge(tp, offset, Math::max);
            }
        });
    }

    /** Forgets partitions that are no longer this consumer's; their unstarted commands are no longer owned. */
    synchronized void drop(Collection<TopicPartition> dropped) {
        dropped.forEach(tp -> {
            partitions.remove(tp);
            committed.remove(tp);
        });
    }

    /** Commands added and not yet complete, over every partition (dropped ones included until they finish). */
    synchronized int inFlight() {
        return inFlight;
    }

    /** Commands of these owned partitions not yet complete. */
    synchronized int pending(Collection<TopicPartition> of) {
        int n = 0;
        for (TopicPartition tp : of) {
            Partition p = partitions.get(tp);
            if (p != null) {
                n += (int) p.entries.values().stream().filter(e -> !e.done).count();
            }
        }
        return n;
    }
}
