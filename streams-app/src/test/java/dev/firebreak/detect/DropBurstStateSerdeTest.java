package dev.firebreak.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.detect.DropBurstState.TrackedEvent;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class DropBurstStateSerdeTest {
    private final DropBurstStateSerde serde = new DropBurstStateSerde();

    @Test
    void roundTripsEveryField() {
        DropBurstState state = new DropBurstState(1_767_225_600_900_000L, List.of(
                new TrackedEvent(1_767_225_600_100_000L, 1, "e1", 42L, "DROP TABLE \"Bestellungen\" -- ü", 4242),
                new TrackedEvent(1_767_225_600_900_000L, 200, "e2", null, null, null)),
                "pg-drop-table-burst/pg:prod/alice/e1");
        assertThat(roundTrip(state)).isEqualTo(state);
        assertThat(roundTrip(DropBurstState.EMPTY)).isEqualTo(DropBurstState.EMPTY);
    }

    @Test
    void nullIsATombstone() {
        assertThat(serde.serializer().serialize("t", null)).isNull();
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }

    @Test
    void refusesUnknownVersionsAndTruncatedData() {
        byte[] bytes = serde.serializer().serialize("t", new DropBurstState(1, List.of(
                new TrackedEvent(1, 1, "e1", null, "DROP TABLE x", null)), null));
        bytes[0] = 9;
        assertThatThrownBy(() -> serde.deserializer().deserialize("changelog", bytes))
                .isInstanceOf(SerializationException.class).hasMessageContaining("version 9");

        bytes[0] = DropBurstStateSerde.VERSION;
        byte[] truncated = Arrays.copyOf(bytes, bytes.length - 3);
        assertThatThrownBy(() -> serde.deserializer().deserialize("changelog", truncated))
                .isInstanceOf(SerializationException.class);
    }

    private DropBurstState roundTrip(DropBurstState state) {
        return serde.deserializer().deserialize("t", serde.serializer().serialize("t", state));
    }
}
