package dev.firebreak.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.detect.DropBurstState.TrackedEvent;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
    void roundTripsIdentitiesAndLargeAmounts() {
        DropBurstState state = new DropBurstState(5, List.of(
                new TrackedEvent(5, 5_000_000_000L, "e1", 7L, "DELETE FROM big", 1, List.of("table:public.a", "table:public.b"))),
                null);
        assertThat(roundTrip(state)).isEqualTo(state);
    }

    /** What a deployment before rules-as-data left in the changelog still restores. */
    @Test
    void roundTripsTheCommandsOfAnOpenEpisodeAndReadsVersionTwoAsOneCommand() throws IOException {
        DropBurstState reissued = new DropBurstState(9, List.of(), "rule/p/e1", 3);
        assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", reissued))).isEqualTo(reissued);
        assertThat(reissued.commandId()).isEqualTo("rule/p/e1#3");
        byte[] v3 = VersionThreeEncoder.write(9, "rule/p/e1", 1, List.of());
        // version 2 is version 3 without the int of commands after the episode id
        byte[] v2 = new byte[v3.length - 4];
        int afterEpisode = 1 + 8 + 1 + 4 + "rule/p/e1".length();
        System.arraycopy(v3, 0, v2, 0, afterEpisode);
        System.arraycopy(v3, afterEpisode + 4, v2, afterEpisode, v3.length - afterEpisode - 4);
        v2[0] = 2;
        DropBurstState read = serde.deserializer().deserialize("t", v2);
        assertThat(read.commands()).isEqualTo(1);
        assertThat(read.commandId()).isEqualTo("rule/p/e1");
    }

    /** A changelog written by the previous build (version 3, one record per event) restores as one entry per event. */
    @Test
    void readsVersionThreeAsWrittenByThePreviousBuild() throws IOException {
        byte[] v3 = VersionThreeEncoder.write(900, null, 0, List.of(
                new VersionThreeEncoder.Event(100, 1, "e1", 42L, "DROP TABLE a", 4242, List.of("table:public.a")),
                new VersionThreeEncoder.Event(300, 2, "e2", null, null, null, List.of())));

        DropBurstState read = serde.deserializer().deserialize("changelog", v3);

        assertThat(read).isEqualTo(new DropBurstState(900, List.of(
                new TrackedEvent(100, 1, "e1", 42L, "DROP TABLE a", 4242, List.of("table:public.a")),
                new TrackedEvent(300, 2, "e2", null, null, null)), null));
        assertThat(read.tracks("e1")).isTrue();
        assertThat(read.tracks("e3")).isFalse();
        assertThat(read.events().get(0).backendPids()).containsExactly(4242);
        // and it is written back in this build's format, which reads as the same state
        assertThat(roundTrip(read)).isEqualTo(read);
        assertThat(serde.serializer().serialize("t", read)[0]).isEqualTo(DropBurstStateSerde.VERSION);
    }

    /** The previous build kept up to 10,000 events per principal; only the newest the entry cap allows restore. */
    @Test
    void aLargeVersionThreeStateRestoresItsNewestEventsWithinTheCap() throws IOException {
        List<VersionThreeEncoder.Event> events = new java.util.ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            events.add(new VersionThreeEncoder.Event(i, 1, "e" + i, (long) i, "DROP TABLE t" + i, i, List.of()));
        }
        byte[] v3 = VersionThreeEncoder.write(9_999, null, 0, events);

        DropBurstState read = serde.deserializer().deserialize("changelog", v3);

        assertThat(read.events()).hasSize(DropBurstState.MAX_ENTRIES);
        assertThat(read.events().get(0).eventId()).isEqualTo("e" + (10_000 - DropBurstState.MAX_ENTRIES));
        assertThat(read.tracks("e9999")).isTrue();
        assertThat(serde.serializer().serialize("t", read).length).isLessThanOrEqualTo(DropBurstState.MAX_BYTES);
    }

    @Test
    void roundTripsAggregatesAndRecentIds() {
        TrackedEvent aggregate = new TrackedEvent(10, 1, "a1", 7L, "DROP TABLE a", 11, List.of("table:a"))
                .merge(new TrackedEvent(20, 2, "a2", 5L, "DROP TABLE b", 12, List.of("table:b", "table:c")));
        DropBurstState state = new DropBurstState(20, List.of(aggregate), null, 0,
                List.of(DropBurstState.idHash("a1"), DropBurstState.idHash("a2")));

        assertThat(roundTrip(state)).isEqualTo(state);
        assertThat(aggregate).isEqualTo(new TrackedEvent(10, 20, 3, 2, "a1", 5L, "DROP TABLE a", List.of(11, 12),
                List.of("table:a", "table:b", "table:c")));
        assertThat(state.tracks("a2")).isTrue();
    }

    @Test
    void readsVersionOne() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1);
            out.writeLong(900L);
            out.writeBoolean(true);
            writeString(out, "pg-drop-table-burst/pg:prod/alice/e1");
            out.writeInt(1);
            out.writeLong(100L);
            out.writeInt(200);
            writeString(out, "e1");
            out.writeBoolean(true);
            out.writeLong(42L);
            out.writeBoolean(true);
            writeString(out, "DROP SCHEMA shop CASCADE");
            out.writeBoolean(true);
            out.writeInt(4242);
        }
        assertThat(serde.deserializer().deserialize("changelog", bytes.toByteArray())).isEqualTo(new DropBurstState(900L,
                List.of(new TrackedEvent(100L, 200, "e1", 42L, "DROP SCHEMA shop CASCADE", 4242)),
                "pg-drop-table-burst/pg:prod/alice/e1"));
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
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
