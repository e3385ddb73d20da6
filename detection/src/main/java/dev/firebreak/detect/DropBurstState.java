package dev.firebreak.detect;

import dev.firebreak.rules.DetectionRule;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What one rule remembers about one principal, bounded whatever the principal does. (Named after
 * the first rule; the name is part of the store's changelog topic, see {@link DetectionNames}.)
 *
 * <p>The counted events are kept as time-ordered, non-overlapping <em>entries</em>: an entry is
 * one event until the rule's entry cap is reached, then adjacent entries are merged into an
 * aggregate (first and last event time, summed amount, the first event's id and statement, the
 * smallest WAL position, a few backend pids, the union of object identities). See
 * {@link RuleDetector} for the precision this gives. A state never encodes to more than
 * {@link #MAX_BYTES}.
 *
 * @param latestUs  latest event time seen for the principal (epoch µs), {@link Long#MIN_VALUE} if none
 * @param events    counted entries not yet part of an episode, ordered by event time
 * @param episodeId id of the open burst episode, or null when none is open
 * @param commands  revoke commands issued for the open episode: 1 for the first, one more per
 *                  re-issue; 0 when no episode is open
 * @param recentIds 64-bit hashes ({@link #idHash}) of the ids of the latest counted events, oldest
 *                  first, at most {@link #RECENT_IDS}: what recognises a replayed event
 */
record DropBurstState(long latestUs, List<TrackedEvent> events, String episodeId, int commands, List<Long> recentIds) {
    static final DropBurstState EMPTY = new DropBurstState(Long.MIN_VALUE, List.of(), null);
    /** Hard cap on a state's encoded size: far under the producer's {@code max.request.size} (1 MiB). */
    static final int MAX_BYTES = 64 * 1024;
    /** Most entries a state keeps, whatever the rule's {@code max_tracked_events}. */
    static final int MAX_ENTRIES = 128;
    /** Most object identities a state keeps over all its entries (distinct-object rules). */
    static final int MAX_IDENTITIES = DetectionRule.MAX_IDENTITIES;
    /** Ids of this many latest counted events are remembered to recognise replays. */
    static final int RECENT_IDS = 64;
    /** The first and the last this many entries keep their statement as a sample; the others none. */
    static final int SAMPLE_ENTRIES = 3;
    /** Statements are kept as samples, cut to this many characters. */
    static final int MAX_STATEMENT_CHARS = 200;
    /** Distinct backend pids kept per entry. */
    static final int MAX_PIDS = 4;
    // Upper bounds of the encoded bytes of a state's fixed fields (see DropBurstStateSerde): a varint
    // takes at most 5 bytes for an int and 10 for a long.
    private static final int HEADER_BYTES = 1 + 8 + 1 + 5 + 5 + 5;
    private static final int ENTRY_FIXED_BYTES = 8 + 10 + 10 + 10 + 1 + 8 + 1 + 5 + 5;
    private static final int MAX_LENGTH_BYTES = 5;

    DropBurstState {
        events = List.copyOf(events);
        recentIds = List.copyOf(recentIds);
        commands = episodeId == null ? 0 : Math.max(1, commands);
    }

    /** A state remembering the ids of its own entries as the recent ones. */
    DropBurstState(long latestUs, List<TrackedEvent> events, String episodeId, int commands) {
        this(latestUs, events, episodeId, commands, idsOf(events));
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

    /** Whether {@code eventId} is one of the {@link #RECENT_IDS} latest counted events (by hash). */
    boolean tracks(String eventId) {
        return recentIds.contains(idHash(eventId));
    }

    /** {@link #recentIds} after counting {@code eventId}. */
    List<Long> recentIdsWith(String eventId) {
        List<Long> ids = new ArrayList<>(recentIds.size() + 1);
        ids.addAll(recentIds.size() >= RECENT_IDS ? recentIds.subList(recentIds.size() - RECENT_IDS + 1, recentIds.size())
                : recentIds);
        ids.add(idHash(eventId));
        return ids;
    }

    /**
     * FNV-1a, 64 bits, over the id's UTF-16 units: cheap on the hot path. Event ids come from
     * ingest, not from the principal; a collision could only make one event look replayed, which a
     * principal able to choose ids could achieve anyway by repeating an id.
     */
    static long idHash(String eventId) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < eventId.length(); i++) {
            h ^= eventId.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static List<Long> idsOf(List<TrackedEvent> events) {
        List<TrackedEvent> last = events.size() > RECENT_IDS ? events.subList(events.size() - RECENT_IDS, events.size())
                : events;
        return last.stream().map(e -> idHash(e.eventId())).toList();
    }

    /** Identities kept over all entries. */
    int identityCount() {
        return events.stream().mapToInt(e -> e.identities().size()).sum();
    }

    /**
     * An upper bound of {@link DropBurstStateSerde}'s encoded size (3 bytes per UTF-16 unit), cheap
     * enough to check on every counted event.
     */
    int maxEncodedBytes() {
        int bytes = HEADER_BYTES + utf8Bound(episodeId) + 8 * recentIds.size();
        for (TrackedEvent e : events) {
            bytes += e.maxEncodedBytes();
        }
        return bytes;
    }

    static int utf8Bound(String s) {
        return s == null ? 0 : MAX_LENGTH_BYTES + 3 * s.length();
    }

    /** Encoded bytes of {@code s} as a length and UTF-8, 0 for null. */
    static int utf8Bytes(String s) {
        if (s == null) {
            return 0;
        }
        int bytes = MAX_LENGTH_BYTES;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes;
    }

    /**
     * One entry: a counted event, or an aggregate of adjacent ones once the entry cap is reached.
     * It reports what an alert needs without keeping the audit events.
     *
     * @param timeUs      time of the entry's first event, epoch µs
     * @param lastUs      time of its last event ({@code timeUs} for one event)
     * @param amount      what its events add to the rule's measure (events, objects or rows)
     * @param count       events merged into it
     * @param eventId     the first event's id
     * @param lsn         the smallest WAL position of its events, or null
     * @param statement   the first statement seen in it, cut to {@link #MAX_STATEMENT_CHARS}, or null
     * @param backendPids distinct backend pids of its events, at most {@link #MAX_PIDS}
     * @param identities  distinct identities of the counted objects, sorted; kept only by distinct-object rules
     */
    record TrackedEvent(long timeUs, long lastUs, long amount, long count, String eventId, Long lsn, String statement,
                        List<Integer> backendPids, List<String> identities) {
        TrackedEvent {
            lastUs = Math.max(timeUs, lastUs);
            statement = statement == null || statement.length() <= MAX_STATEMENT_CHARS ? statement
                    : statement.substring(0, MAX_STATEMENT_CHARS - 1) + "…";
            backendPids = List.copyOf(backendPids == null ? List.of() : backendPids);
            identities = List.copyOf(identities == null ? List.of() : identities);
        }

        /** One event. */
        TrackedEvent(long timeUs, long amount, String eventId, Long lsn, String statement, Integer backendPid,
                     List<String> identities) {
            this(timeUs, timeUs, amount, 1, eventId, lsn, statement, backendPid == null ? List.of() : List.of(backendPid),
                    identities);
        }

        /** One event without object identities. */
        TrackedEvent(long timeUs, long amount, String eventId, Long lsn, String statement, Integer backendPid) {
            this(timeUs, amount, eventId, lsn, statement, backendPid, List.of());
        }

        /** This entry and the {@code later} one (which starts no earlier) as one aggregate. */
        TrackedEvent merge(TrackedEvent later) {
            TreeSet<Integer> pids = new TreeSet<>(backendPids);
            for (Integer pid : later.backendPids) {
                if (pids.size() < MAX_PIDS) {
                    pids.add(pid);
                }
            }
            List<String> ids = identities;
            if (!later.identities.isEmpty()) {
                TreeSet<String> union = new TreeSet<>(identities);
                union.addAll(later.identities);
                ids = List.copyOf(union);
            }
            Long minLsn = lsn == null ? later.lsn : later.lsn == null ? lsn : Math.min(lsn, later.lsn);
            return new TrackedEvent(timeUs, Math.max(lastUs, later.lastUs), amount + later.amount, count + later.count,
                    eventId, minLsn, statement != null ? statement : later.statement, List.copyOf(pids), ids);
        }

        /** This entry keeping only its first {@code max} identities and an id cut to 256 characters. */
        TrackedEvent trimmed(int max) {
            String id = eventId.length() <= 256 ? eventId : eventId.substring(0, 256);
            return new TrackedEvent(timeUs, lastUs, amount, count, id, lsn, statement, backendPids,
                    identities.size() <= max ? identities : identities.subList(0, max));
        }

        /** An upper bound of its encoded bytes, from string lengths alone. */
        int maxEncodedBytes() {
            int bytes = ENTRY_FIXED_BYTES + utf8Bound(eventId) + utf8Bound(statement) + MAX_LENGTH_BYTES * backendPids.size();
            for (String identity : identities) {
                bytes += utf8Bound(identity);
            }
            return bytes;
        }

        /** Its encoded bytes (at most a few more than {@link DropBurstStateSerde} writes). */
        int encodedBytes() {
            int bytes = ENTRY_FIXED_BYTES + utf8Bytes(eventId) + utf8Bytes(statement) + MAX_LENGTH_BYTES * backendPids.size();
            for (String identity : identities) {
                bytes += utf8Bytes(identity);
            }
            return bytes;
        }

        /** This entry without its statement: only the first and last entries of a state keep theirs. */
        TrackedEvent withoutStatement() {
            return statement == null ? this
                    : new TrackedEvent(timeUs, lastUs, amount, count, eventId, lsn, null, backendPids, identities);
        }
    }
}
