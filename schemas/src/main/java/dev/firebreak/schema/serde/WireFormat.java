package dev.firebreak.schema.serde;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro binary body. */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** Schema id of a framed payload; fails with a clear reason on anything else. */
    public static int schemaId(byte[] framed) {
        if (framed.length < HEADER_SIZE) {
            throw new SerializationException("payload of " + framed.length + " bytes is shorter than the "
                    + HEADER_SIZE + "-byte Confluent wire-format header");
        }
        if (framed[0] != MAGIC_BYTE) {
            throw new SerializationException("unknown magic byte " + framed[0] + " (expected 0, Confluent wire format)");
        }
        return ByteBuffer.wrap(framed, 1, 4).getInt();
    }
}
