package dev.firebreak.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.DeadLetter;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class AuditSinkTest {
    @Test
    void aDeadLetterPayloadIsCutSoThatItAlwaysFitsAndTheReasonSaysSo() {
        DeadLetter big = letter(new byte[3 * 1024 * 1024], "message of 3145728 bytes exceeds 1048576 bytes");
        DeadLetter bounded = AuditSink.bounded(big);
        assertThat(bounded.getPayload().remaining()).isEqualTo(AuditSink.MAX_DEAD_LETTER_PAYLOAD);
        assertThat(bounded.getReason()).startsWith("message of 3145728 bytes exceeds")
                .endsWith("[payload cut to the first 65536 of 3145728 bytes]");
    }

    @Test
    void aSmallDeadLetterIsKeptWhole() {
        DeadLetter small = letter("not json".getBytes(), "not JSON");
        assertThat(AuditSink.bounded(small)).isSameAs(small);
    }

    private static DeadLetter letter(byte[] payload, String reason) {
        return DeadLetter.newBuilder().setSource("ingest").setReason(reason).setOrigin("lsn=0/1")
                .setPayload(ByteBuffer.wrap(payload)).setCapturedTimeUs(1).build();
    }
}
