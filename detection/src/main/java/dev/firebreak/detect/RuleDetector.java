package dev.firebreak.detect;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.DetectionRule.Measure;
import dev.firebreak.detect.DropBurstState.TrackedEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The decision of one rule as a pure function of the principal's state and the next event, so the
 * processor around it only moves data in and out of the store.
 *
 * <p><b>Bounded state and its precision.</b> Counted events are kept as time-ordered entries
 * ({@link DropBurstState.TrackedEvent}), at most {@link #entryCap()} of them: one per event while they fit,
 * and once they do not, the two adjacent entries spanning the least event time are merged into an
 * aggregate. A window counts an entry only when the whole entry lies inside it, so a count is never
 * more than the events really in the window (no burst is invented), and it is exact while the
 * principal's counted events within {@code window + grace} fit in the cap: a principal staying
 * under threshold T holds at most about {@code T × (2 + grace / window)} of them, 8 for the
 * bundled drop rule (3 in 1 s, grace 2 s). Beyond it, a window can miss at most the two aggregates
 * straddling its ends, each spanning at most about {@code 2 × (window + grace) / cap} of event
 * time. Where even the narrowest merge would span more than the window, the oldest entry is
 * dropped instead, as the old {@code max_tracked_events} cap dropped the oldest event. Distinct-object rules keep at most
 * {@link DropBurstState#MAX_IDENTITIES} identities (their threshold may not exceed it), dropping the
 * oldest entries beyond; every state is also cut to {@link DropBurstState#MAX_BYTES} the same way.
 *
 * <p><b>Replays.</b> The ids of the latest {@link DropBurstState#RECENT_IDS} counted events of a
 * principal are remembered (as hashes), so under at-least-once an event replayed after a crash
 * is recognised when fewer than that many newer events of the principal were counted since;
 * during an open episode nothing is counted, so replays there change nothing. An older replay
 * may be counted twice. Under {@code exactly_once_v2} the state and the input offsets commit
 * together and no event is replayed into a state that already counted it.
 */
final class RuleDetector {
    private final DetectionRule rule;
    private final long windowUs;
    private final long graceUs;
    private final long quietUs;
    private final int entryCap;

    RuleDetector(DetectionRule rule) {
        this.rule = rule;
        this.windowUs = TimeUnit.MICROSECONDS.convert(rule.window());
        this.graceUs = TimeUnit.MICROSECONDS.convert(rule.grace());
        this.quietUs = TimeUnit.MICROSECONDS.convert(rule.episodeQuiet());
        this.entryCap = Math.max(2, Math.min(rule.maxTrackedEvents(), DropBurstState.MAX_ENTRIES));
    }

    /** The rule this detector decides for. */
    DetectionRule rule() {
        return rule;
    }

    /** How long after a principal's latest event its open episode ends. */
    long quietUs() {
        return quietUs;
    }

    /** How long a principal's state matters after its latest event; idle state older than this can go. */
    long retentionUs() {
        return Math.max(windowUs + graceUs, quietUs);
    }

    /** Most entries a state of this rule keeps: the rule's {@code max_tracked_events}, at most {@link DropBurstState#MAX_ENTRIES}. */
    int entryCap() {
        return entryCap;
    }

    /** The next state after {@code event}, and the burst if this event crossed the threshold. */
    Step observe(DropBurstState current, TrackedEvent event, String principal) {
        DropBurstState state = current == null ? DropBurstState.EMPTY : current;
        boolean seenBefore = state.latestUs() != Long.MIN_VALUE;
        if (seenBefore && event.timeUs() < state.latestUs() - graceUs) {
            return new Step(state, Outcome.LATE, null);
        }
        // At-least-once delivery replays events after a crash; counting them twice would invent a burst.
        if (state.tracks(event.eventId())) {
            return new Step(state, Outcome.DUPLICATE, null);
        }
        long latestUs = Math.max(state.latestUs(), event.timeUs());
        if (state.episodeOpen() && event.timeUs() - state.latestUs() <= quietUs) {
            // Events of an open episode are not kept: nothing more is reported for them, and the
            // state stays small however long the flood lasts.
            return new Step(new DropBurstState(latestUs, List.of(), state.episodeId(), state.commands()),
                    Outcome.EXTENDED, null);
        }
        List<TrackedEvent> entries = new ArrayList<>(state.events().size() + 1);
        int at = track(state.events(), event, latestUs, entries);
        Burst burst = burstContaining(entries, at, event, principal);
        if (burst == null) {
            return new Step(new DropBurstState(latestUs, bounded(entries), null, 0, state.recentIdsWith(event.eventId())),
                    Outcome.COUNTED, null);
        }
        return new Step(new DropBurstState(latestUs, List.of(), burst.episodeId()), Outcome.TRIGGERED, burst);
    }

    /**
     * Copies into {@code entries} what a future window can still reach, with {@code event} in
     * event-time order: a new entry, or merged into an aggregate whose span it falls in (a late
     * event). Returns the index of the entry holding {@code event}.
     */
    private int track(List<TrackedEvent> tracked, TrackedEvent event, long latestUs, List<TrackedEvent> entries) {
        long horizonUs = latestUs - windowUs - graceUs;
        for (TrackedEvent e : tracked) {
            if (e.timeUs() >= horizonUs) {
                entries.add(e);
            }
        }
        int at = entries.size();
        while (at > 0 && entries.get(at - 1).timeUs() > event.timeUs()) {
            at--;
        }
        if (at > 0 && entries.get(at - 1).lastUs() > event.timeUs()) {
            entries.set(at - 1, entries.get(at - 1).merge(event));
            return at - 1;
        }
        entries.add(at, event);
        return at;
    }

    /**
     * {@code entries} within the caps: merges the adjacent pair spanning the least time while
     * there are more than the entry cap (dropping the oldest instead when even that pair would
     * span more than the window), keeps statements on the first and last few entries only, then
     * drops the oldest while identities or bytes are over.
     */
    private List<TrackedEvent> bounded(List<TrackedEvent> entries) {
        while (entries.size() > entryCap) {
            int best = 0;
            long bestSpan = Long.MAX_VALUE;
            for (int i = 0; i + 1 < entries.size(); i++) {
                long span = entries.get(i + 1).lastUs() - entries.get(i).timeUs();
                if (span < bestSpan) {
                    best = i;
                    bestSpan = span;
                }
            }
            if (bestSpan <= windowUs) {
                entries.set(best, entries.get(best).merge(entries.remove(best + 1)));
            } else {
                entries.remove(0);
            }
        }
        for (int i = DropBurstState.SAMPLE_ENTRIES; i < entries.size() - DropBurstState.SAMPLE_ENTRIES; i++) {
            entries.set(i, entries.get(i).withoutStatement());
        }
        int identities = entries.stream().mapToInt(e -> e.identities().size()).sum();
        while (entries.size() > 1 && identities > DropBurstState.MAX_IDENTITIES) {
            identities -= entries.remove(0).identities().size();
        }
        // The bound from string lengths is cheap and nearly always enough; the exact size only when it is not.
        if (entries.stream().mapToInt(TrackedEvent::maxEncodedBytes).sum() <= entryBytesBudget()) {
            return entries;
        }
        int bytes = entries.stream().mapToInt(TrackedEvent::encodedBytes).sum();
        while (entries.size() > 1 && bytes > entryBytesBudget()) {
            bytes -= entries.remove(0).encodedBytes();
        }
        if (bytes > entryBytesBudget()) {
            TrackedEvent only = entries.get(0).trimmed(DropBurstState.MAX_IDENTITIES);
            while (!only.identities().isEmpty() && only.encodedBytes() > entryBytesBudget()) {
                only = only.trimmed(only.identities().size() / 2);
            }
            entries.set(0, only);
        }
        return entries;
    }

    // What the entries may take of the state's cap: the rest is the header, the episode id and the recent ids.
    private static int entryBytesBudget() {
        return DropBurstState.MAX_BYTES - 1024 - 8 * DropBurstState.RECENT_IDS;
    }

    /**
     * The earliest window that contains the entry {@code at} (holding {@code event}) and reaches
     * the threshold, or null. Every optimal window can start at an entry's time, so trying each
     * entry in [t - window, t] as the start covers all windows containing t; two pointers keep it
     * linear. A window counts the entries wholly inside it.
     */
    private Burst burstContaining(List<TrackedEvent> entries, int at, TrackedEvent event, String principal) {
        Window window = rule.measure() == Measure.DISTINCT_OBJECTS ? new DistinctWindow() : new SumWindow();
        long triggerEndUs = entries.get(at).lastUs();
        int end = 0;
        for (int start = 0; start <= at; start++) {
            TrackedEvent first = entries.get(start);
            end = Math.max(end, start);
            while (end < entries.size() && entries.get(end).lastUs() <= first.timeUs() + windowUs) {
                window.add(entries.get(end++));
            }
            if (first.timeUs() >= triggerEndUs - windowUs && end > at && window.value() >= rule.threshold()) {
                return new Burst(Burst.episodeId(rule, principal, first), principal,
                        entries.subList(start, end), event, window.value());
            }
            if (end > start) {
                window.remove(first);
            }
        }
        return null;
    }

    /** The measure over the events between two pointers. */
    private interface Window {
        void add(TrackedEvent e);

        void remove(TrackedEvent e);

        long value();
    }

    /** Events, objects or rows: a running sum. */
    private static final class SumWindow implements Window {
        private long sum;

        @Override
        public void add(TrackedEvent e) {
            sum += e.amount();
        }

        @Override
        public void remove(TrackedEvent e) {
            sum -= e.amount();
        }

        @Override
        public long value() {
            return sum;
        }
    }

    /** Distinct objects: how often each identity occurs in the window. */
    private static final class DistinctWindow implements Window {
        private final Map<String, Integer> counts = new HashMap<>();

        @Override
        public void add(TrackedEvent e) {
            e.identities().forEach(id -> counts.merge(id, 1, Integer::sum));
        }

        @Override
        public void remove(TrackedEvent e) {
            e.identities().forEach(id -> counts.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1));
        }

        @Override
        public long value() {
            return counts.size();
        }
    }

    /** What an event did to the state. */
    enum Outcome { LATE, DUPLICATE, EXTENDED, COUNTED, TRIGGERED }

    /**
     * @param state   the state to keep (unchanged for {@link Outcome#LATE} and {@link Outcome#DUPLICATE})
     * @param outcome what the event did
     * @param burst   the burst for {@link Outcome#TRIGGERED}, otherwise null
     */
    record Step(DropBurstState state, Outcome outcome, Burst burst) {
        boolean changed() {
            return outcome != Outcome.LATE && outcome != Outcome.DUPLICATE;
        }
    }
}
