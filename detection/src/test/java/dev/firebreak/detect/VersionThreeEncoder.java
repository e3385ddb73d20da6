package dev.firebreak.detect;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A copy of the encoder of {@code DropBurstStateSerde} version 3 (the build before bounded state),
 * so tests can produce exactly what a running deployment left in its changelog.
 */
final class VersionThreeEncoder {
    private VersionThreeEncoder() {
    }

    /** One event as version 3 kept it. */
    record Event(long timeUs, long amount, String eventId, Long lsn, String statement, Integer backendPid,
                 List<String> identities) {
    }

    static byte[] write(long latestUs, String episodeId, int commands, List<Event> events) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(3);
            out.writeLong(latestUs);
            writeNullableString(out, episodeId);
            out.writeInt(episodeId == null ? 0 : Math.max(1, commands));
            out.writeInt(events.size());
            for (Event e : events) {
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
        }
        return bytes.toByteArray();
    }

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
}
