package dev.firebreak.detect;

import dev.firebreak.detect.DropBurstState.TrackedEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary form of {@link DropBurstState} in the store and its changelog. Versioned by a leading
 * byte, so a later layout can still read what an older deployment left in the changelog. Kept off
 * the schema registry: restoring state must not depend on a network service.
 *
 * <p>Version 4, written by this build: longs big-endian, {@code var} an unsigned LEB128 varint
 * (1 byte below 128), strings a var byte length and UTF-8:
 * <pre>
 * byte 4 | long latestUs | bool+string episodeId | var commands
 * | var n, n × long recent id hash
 * | var m, m × entry: long timeUs | var lastUs - timeUs | var amount | var count | string eventId
 *                     | bool+long lsn | bool+string statement | var p, p × var pid | var k, k × string identity
 * </pre>
 * Versions 1 to 3 kept one record per event (1: int amounts; 2: long amounts and identities;
 * 3: plus the commands of the open episode); they are read as one entry per event, the recent ids
 * taken from the events; of more than {@link DropBurstState#MAX_ENTRIES} events only the newest
 * are kept.
 */
final class DropBurstStateSerde implements Serde<DropBurstState> {
    static final byte VERSION = 4;
    private static final byte VERSION_1 = 1;
    private static final byte VERSION_2 = 2;
    private static final byte VERSION_3 = 3;

    @Override
    public Serializer<DropBurstState> serializer() {
        return (topic, state) -> state == null ? null : write(state);
    }

    @Override
    public Deserializer<DropBurstState> deserializer() {
        return (topic, data) -> data == null ? null : read(topic, data);
    }

    static byte[] write(DropBurstState state) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.min(state.maxEncodedBytes(), 4096));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(state.latestUs());
            out.writeBoolean(state.episodeId() != null);
            if (state.episodeId() != null) {
                writeVarString(out, state.episodeId());
            }
            writeVar(out, state.commands());
            writeVar(out, state.recentIds().size());
            for (long id : state.recentIds()) {
                out.writeLong(id);
            }
            writeVar(out, state.events().size());
            for (TrackedEvent e : state.events()) {
                writeEntry(out, e);
            }
        } catch (IOException e) {
            throw new SerializationException("cannot write drop-burst state", e);
        }
        return bytes.toByteArray();
    }

    private static void writeEntry(DataOutputStream out, TrackedEvent e) throws IOException {
        out.writeLong(e.timeUs());
        writeVar(out, e.lastUs() - e.timeUs());
        writeVar(out, e.amount());
        writeVar(out, e.count());
        writeVarString(out, e.eventId());
        out.writeBoolean(e.lsn() != null);
        if (e.lsn() != null) {
            out.writeLong(e.lsn());
        }
        out.writeBoolean(e.statement() != null);
        if (e.statement() != null) {
            writeVarString(out, e.statement());
        }
        writeVar(out, e.backendPids().size());
        for (int pid : e.backendPids()) {
            writeVar(out, Integer.toUnsignedLong(pid));
        }
        writeVar(out, e.identities().size());
        for (String identity : e.identities()) {
            writeVarString(out, identity);
        }
    }

    static DropBurstState read(String topic, byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte version = in.readByte();
            if (version < VERSION_1 || version > VERSION) {
                throw new SerializationException("drop-burst state from " + topic + " has version " + version
                        + "; this build reads versions " + VERSION_1 + " to " + VERSION);
            }
            long latestUs = in.readLong();
            if (version < VERSION) {
                String episodeId = readNullableString(in);
                int commands = version >= VERSION_3 ? in.readInt() : 1;
                return new DropBurstState(latestUs, readEvents(in, version), episodeId, commands);
            }
            String episodeId = in.readBoolean() ? readVarString(in) : null;
            int commands = (int) readVar(in);
            int recent = (int) readVar(in);
            List<Long> recentIds = new ArrayList<>(Math.min(recent, DropBurstState.RECENT_IDS));
            for (int i = 0; i < recent; i++) {
                recentIds.add(in.readLong());
            }
            int size = (int) readVar(in);
            List<TrackedEvent> entries = new ArrayList<>(Math.min(size, DropBurstState.MAX_ENTRIES));
            for (int i = 0; i < size; i++) {
                entries.add(readEntry(in));
            }
            return new DropBurstState(latestUs, entries, episodeId, commands, recentIds);
        } catch (SerializationException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot read drop-burst state from " + topic, e);
        }
    }

    private static TrackedEvent readEntry(DataInputStream in) throws IOException {
        long timeUs = in.readLong();
        long lastUs = timeUs + readVar(in);
        long amount = readVar(in);
        long count = readVar(in);
        String eventId = readVarString(in);
        Long lsn = in.readBoolean() ? in.readLong() : null;
        String statement = in.readBoolean() ? readVarString(in) : null;
        int pids = (int) readVar(in);
        List<Integer> backendPids = new ArrayList<>(Math.min(pids, DropBurstState.MAX_PIDS));
        for (int j = 0; j < pids; j++) {
            backendPids.add((int) readVar(in));
        }
        int identities = (int) readVar(in);
        List<String> ids = new ArrayList<>(Math.min(identities, DropBurstState.MAX_IDENTITIES));
        for (int j = 0; j < identities; j++) {
            ids.add(readVarString(in));
        }
        return new TrackedEvent(timeUs, lastUs, amount, count, eventId, lsn, statement, backendPids, ids);
    }

    /** Unsigned LEB128: 7 bits a byte, low first; at most 10 bytes. */
    private static void writeVar(DataOutputStream out, long value) throws IOException {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    private static long readVar(DataInputStream in) throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IOException("varint longer than 10 bytes");
    }

    private static void writeVarString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        writeVar(out, utf8.length);
        out.write(utf8);
    }

    private static String readVarString(DataInputStream in) throws IOException {
        int length = (int) readVar(in);
        byte[] utf8 = in.readNBytes(length);
        if (utf8.length != length) {
            throw new EOFException("string of " + length + " bytes truncated to " + utf8.length);
        }
        return new String(utf8, StandardCharsets.UTF_8);
    }

    // Versions 1 to 3: one record per event.
    private static List<TrackedEvent> readEvents(DataInputStream in, byte version) throws IOException {
        int size = in.readInt();
        List<TrackedEvent> events = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            long timeUs = in.readLong();
            long amount = version == VERSION_1 ? in.readInt() : in.readLong();
            String eventId = readString(in);
            Long lsn = in.readBoolean() ? in.readLong() : null;
            String statement = readNullableString(in);
            Integer pid = in.readBoolean() ? in.readInt() : null;
            List<String> identities = version == VERSION_1 ? List.of() : readStrings(in);
            events.add(new TrackedEvent(timeUs, amount, eventId, lsn, statement, pid, identities));
        }
        // These versions kept up to max_tracked_events (10,000 by default) per principal; the newest
        // ones are what a future window can still reach, as when that version dropped beyond its cap.
        return events.size() <= DropBurstState.MAX_ENTRIES ? events
                : events.subList(events.size() - DropBurstState.MAX_ENTRIES, events.size());
    }

    private static List<String> readStrings(DataInputStream in) throws IOException {
        int count = in.readInt();
        List<String> strings = new ArrayList<>(Math.min(count, 1024));
        for (int j = 0; j < count; j++) {
            strings.add(readString(in));
        }
        return strings;
    }

    // Versions 1 to 3 wrote strings as an int length and UTF-8.
    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        byte[] utf8 = in.readNBytes(length);
        if (utf8.length != length) {
            throw new EOFException("string of " + length + " bytes truncated to " + utf8.length);
        }
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static String readNullableString(DataInputStream in) throws IOException {
        return in.readBoolean() ? readString(in) : null;
    }
}
