package dev.firebreak.detect;

import java.util.List;

/**
 * What one rule remembers about one principal. (Named after the first rule; the name is part of the
 * store's changelog topic, see {@link DetectionNames}.)
 *
 * @param latestUs  latest event time seen for the principal (epoch µs), {@link Long#MIN_VALUE} if none
 * @param events    counted events not yet part of an episode, ordered by event time
 * @param episodeId id of the open burst episode, or null when none is open
 * @param commands  revoke commands issued for the open episode: 1 for the first, one more per
 *                  re-issue; 0 when no episode is open
 */
record DropBurstState(long latestUs, List<TrackedEvent> events, String episodeId, int commands) {
    static final DropBurstState EMPTY = new DropBurstState(Long.MIN_VALUE, List.of(), null);

    DropBurstState {
        events = List.copyOf(events);
        commands = episodeId == null ? 0 : Math.max(1, commands);
    }

    /** A state whose open episode, if any, has had its first command only. */
    DropBurstState(long latestUs, List<TrackedEvent> events, String episodeId) {
        this(latestUs, events, episodeId, 1);
    }

    /**
     * The id of the episode's current command: the episode id for the first (as the alert's, so the
     * two link up), then {@code <episode id>#<n>} for the n-th: deterministic, so a replay re-issues
     * the same command and the kill switch recognises it.
     */
    String commandId() {
        return commandId(episodeId, commands);
    }

    static String commandId(String episodeId, int command) {
        return command <= 1 ? episodeId : episodeId + "#" + command;
    }

    boolean episodeOpen() {
        return episodeId != null;
    }

    boolean tracks(String eventId) {
        return events.stream().anyMatch(e -> e.eventId().equals(eventId));
    }

    /**
     * One counted event: what an alert needs to report about it, without the whole audit event.
     *
     * @param timeUs     event time, epoch µs
     * @param amount     what the event adds to the rule's measure (events, objects or rows)
     * @param eventId    the audit event's id
     * @param lsn        WAL position, or null
     * @param statement  statement text, or null
     * @param backendPid database backend pid, or null
     * @param identities identities of the counted objects, kept only by distinct-object rules
     */
    record TrackedEvent(long timeUs, long amount, String eventId, Long lsn, String statement, Integer backendPid,
                        List<String> identities) {
        TrackedEvent {
            identities = List.copyOf(identities == null ? List.of() : identities);
        }

        TrackedEvent(long timeUs, long amount, String eventId, Long lsn, String statement, Integer backendPid) {
            this(timeUs, amount, eventId, lsn, statement, backendPid, List.of());
        }
    }
}
