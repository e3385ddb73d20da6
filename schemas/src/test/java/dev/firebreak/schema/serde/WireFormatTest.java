package dev.firebreak.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.registry.SchemaRegistries;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class WireFormatTest {
    private final String url = "mem://wire-format-test";

    @Test
    void roundTripsThroughTheInMemoryRegistry() {
        var serde = RegistryAvroSerde.forValue(DeadLetter.class, url);
        DeadLetter letter = DeadLetter.newBuilder().setSource("s").setReason("r").setOrigin(null)
                .setPayload(ByteBuffer.wrap(new byte[] {1, 2, 3})).setCapturedTimeUs(42).build();
        byte[] framed = serde.serializer().serialize("t", letter);
        assertThat(framed[0]).isZero();
        assertThat(WireFormat.schemaId(framed)).isEqualTo(SchemaRegistries.forUrl(url).register("t-value", DeadLetter.getClassSchema()));
        assertThat(serde.deserializer().deserialize("t", framed)).isEqualTo(letter);
    }

    @Test
    void rejectsPayloadsThatAreNotInTheWireFormat() {
        var deserializer = RegistryAvroSerde.forValue(DeadLetter.class, url).deserializer();
        assertThatThrownBy(() -> deserializer.deserialize("t", new byte[] {0, 0, 1}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("shorter than the 5-byte");
        assertThatThrownBy(() -> deserializer.deserialize("t", "{\"json\":1}".getBytes()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("unknown magic byte");
        assertThatThrownBy(() -> deserializer.deserialize("t", new byte[] {0, 0, 0, 0x7f, 0x7f, 1}))
                .isInstanceOf(RuntimeException.class).hasMessageContaining("not found");
    }

    @Test
    void unsupportedRegistryUrlFailsNamingTheKey() {
        assertThatThrownBy(() -> SchemaRegistries.forUrl("ftp://x"))
                .hasMessageContaining("schema.registry.url").hasMessageContaining("allowed");
        assertThatThrownBy(() -> SchemaRegistries.forUrl(" "))
                .hasMessageContaining("schema.registry.url is required");
    }
}
