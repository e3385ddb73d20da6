package dev.firebreak.ingest.postgres;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.connect.data.Struct;

/**
 * A logical decoding message ({@code pg_logical_emit_message}) as Debezium delivers it: a change
 * value with a {@code message} field.
 *
 * @param prefix  the message's prefix
 * @param content its body, or null
 * @param lsn     where it was read in the WAL
 */
record LogicalMessage(String prefix, byte[] content, long lsn) {

    /** Whether a change value is a logical message. */
    static boolean isMessage(Struct value) {
        return value.schema().field("message") != null;
    }

    /** The prefix of a change value that {@link #isMessage is a message}. */
    static String prefixOf(Struct value) {
        return value.getStruct("message").getString("prefix");
    }

    /** The message of a change value that {@link #isMessage is a message}. */
    static LogicalMessage of(Struct value) {
        Struct message = value.getStruct("message");
        return new LogicalMessage(message.getString("prefix"), bytes(message.get("content")),
                value.getStruct("source").getInt64("lsn"));
    }

    /** The body as UTF-8 text; empty for none. */
    String text() {
        return content == null ? "" : new String(content, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(Object content) {
        if (content instanceof byte[] b) {
            return b;
        }
        if (content instanceof ByteBuffer buffer) {
            byte[] b = new byte[buffer.remaining()];
            buffer.duplicate().get(b);
            return b;
        }
        return null;
    }
}
