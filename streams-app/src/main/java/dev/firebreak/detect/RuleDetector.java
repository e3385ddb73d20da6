package dev.firebreak.detect;

import dev.firebreak.detect.DetectionRule.Measure;
import dev.firebreak.detect.DropBurstState.TrackedEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The decision of one rule as a pure function of the principal's state and the next event, so the
 * processor around it only moves data in and out of the store.
 */
final class RuleDetector {
    private final DetectionRule rule;
    private final long windowUs;
    private final long graceUs;
    private final long quietUs;

    RuleDetector(DetectionRule rule) {
        this.rule = rule;
        this.windowUs = TimeUnit.MICROSECONDS.convert(rule.window());
        this.graceUs = TimeUnit.MICROSECONDS.convert(rule.grace());
        this.quietUs = TimeUnit.MICROSECONDS.convert(rule.episodeQuiet());
    }

    /** How long after a principal's latest event its open episode ends. */
    long quietUs() {
        return quietUs;
    }

    /** How long a principal's state matters after its latest event; idle state older than this can go. */
    long retentionUs() {
        return Math.max(windowUs + graceUs, quietUs);
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
        List<TrackedEvent> events = track(state.events(), event, latestUs);
        Burst burst = burstContaining(events, event, principal);
        if (burst == null) {
            return new Step(new DropBurstState(latestUs, events, null), Outcome.COUNTED, null);
        }
        return new Step(new DropBurstState(latestUs, List.of(), burst.episodeId()), Outcome.TRIGGERED, burst);
    }

    /** Inserts in event-time order, then drops what no future window can reach and what exceeds the cap. */
    private List<TrackedEvent> track(List<TrackedEvent> tracked, TrackedEvent event, long latestUs) {
        long horizonUs = latestUs - windowUs - graceUs;
        List<TrackedEvent> events = new ArrayList<>(tracked.size() + 1);
        for (TrackedEvent e : tracked) {
            if (e.timeUs() >= horizonUs) {
                events.add(e);
            }
        }
        int at = events.size();
        while (at > 0 && events.get(at - 1).timeUs() > event.timeUs()) {
            at--;
        }
        events.add(at, event);
        int excess = events.size() - rule.maxTrackedEvents();
        return excess > 0 ? events.subList(excess, events.size()) : events;
    }

    /**
     * The earliest window that contains {@code event} and reaches the threshold, or null. Every
     * optimal window can start at an event's time, so trying each event in [t - window, t] as the
     * start covers all windows containing t; two pointers keep it linear.
     */
    private Burst burstContaining(List<TrackedEvent> events, TrackedEvent event, String principal) {
        Window window = rule.measure() == Measure.DISTINCT_OBJECTS ? new DistinctWindow() : new SumWindow();
        int end = 0;
        for (int start = 0; start < events.size(); start++) {
            TrackedEvent first = events.get(start);
            if (first.timeUs() > event.timeUs()) {
                return null;
            }
            while (end < events.size() && events.get(end).timeUs() <= first.timeUs() + windowUs) {
                window.add(events.get(end++));
            }
            if (first.timeUs() >= event.timeUs() - windowUs && window.value() >= rule.threshold()) {
                return new Burst(Burst.episodeId(rule, principal, first), principal,
                        events.subList(start, end), event, window.value());
            }
            window.remove(first);
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
