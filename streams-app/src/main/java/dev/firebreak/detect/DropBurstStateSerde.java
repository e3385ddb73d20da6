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
 */
final class DropBurstStateSerde implements Serde<DropBurstState> {
    /**
     * Version 3 adds the number of commands issued for the open episode; version 2 added long amounts
     * and object identities. Versions 1 (int object counts) and 2 are still read.
     */
    static final byte VERSION = 3;
    private static final byte VERSION_1 = 1;
    private static final byte VERSION_2 = 2;

    @Override
    public Serializer<DropBurstState> serializer() {
        return (topic, state) -> state == null ? null : write(state);
    }

    @Override
    public Deserializer<DropBurstState> deserializer() {
        return (topic, data) -> data == null ? null : read(topic, data);
    }

    static byte[] write(DropBurstState state) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 96 * state.events().size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(state.latestUs());
            writeNullableString(out, state.episodeId());
            out.writeInt(state.commands());
            out.writeInt(state.events().size());
            for (TrackedEvent e : state.events()) {
                out.writeLong(e.timeUs());
                out.writeLong(e.amount());
                writeString(out, e.eventId());
                out.writeBoolean(e.lsn() != null);
                if (e.lsn() != null) {
                    out.writeLong(e.lsn());
                }
                writeNullableString(out, e.statement());
                out.writeBoolean(e.backendPid() != null);
                if (e.backendPid() != null) {
                    out.writeInt(e.backendPid());
                }
                out.writeInt(e.identities().size());
                for (String identity : e.identities()) {
                    writeString(out, identity);
                }
            }
        } catch (IOException e) {
            throw new SerializationException("cannot write drop-burst state", e);
        }
        return bytes.toByteArray();
    }

    static DropBurstState read(String topic, byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte version = in.readByte();
            if (version != VERSION && version != VERSION_1 && version != VERSION_2) {
                throw new SerializationException("drop-burst state from " + topic + " has version " + version
                        + "; this build reads versions " + VERSION_1 + " to " + VERSION);
            }
            long latestUs = in.readLong();
            String episodeId = readNullableString(in);
            int commands = version == VERSION ? in.readInt() : 1;
            int size = in.readInt();
            List<TrackedEvent> events = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                long timeUs = in.readLong();
                long amount = version == VERSION_1 ? in.readInt() : in.readLong();
                String eventId = readString(in);
                Long lsn = in.readBoolean() ? in.readLong() : null;
                String statement = readNullableString(in);
                Integer pid = in.readBoolean() ? in.readInt() : null;
                List<String> identities = new ArrayList<>();
                if (version != VERSION_1) {
                    int count = in.readInt();
                    for (int j = 0; j < count; j++) {
                        identities.add(readString(in));
                    }
                }
                events.add(new TrackedEvent(timeUs, amount, eventId, lsn, statement, pid, identities));
            }
            return new DropBurstState(latestUs, events, episodeId, commands);
        } catch (IOException e) {
            throw new SerializationException("cannot read drop-burst state from " + topic, e);
        }
    }

    // writeUTF caps strings at 64 KiB; statements may be longer.
    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static void writeNullableString(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            writeString(out, s);
        }
    }

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
