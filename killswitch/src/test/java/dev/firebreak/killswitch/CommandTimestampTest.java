package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Topics;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Which record timestamps the kill switch takes as the broker's clock for the command-age limit. */
class CommandTimestampTest {

    private static ConsumerRecord<String, String> record(long timestampMs, TimestampType type) {
        return new ConsumerRecord<>(Topics.KILLSWITCH_COMMANDS, 0, 42L, timestampMs, type, 0, 0, "pg:c/r", "v",
                new RecordHeaders(), Optional.empty());
    }

    @Test
    void logAppendTimeIsTheBrokersClockInMicroseconds() {
        assertThat(KillSwitchService.brokerAppendTimeUs(record(1_700_000_000_123L, TimestampType.LOG_APPEND_TIME)))
                .hasValue(1_700_000_000_123_000L);
    }

    @Test
    void createTimeIsTheProducersClockAndIsNotUsed() {
        assertThat(KillSwitchService.brokerAppendTimeUs(record(1_700_000_000_123L, TimestampType.CREATE_TIME))).isEmpty();
        assertThat(KillSwitchService.brokerAppendTimeUs(record(-1L, TimestampType.NO_TIMESTAMP_TYPE))).isEmpty();
        assertThat(KillSwitchService.brokerAppendTimeUs(record(-1L, TimestampType.LOG_APPEND_TIME))).isEmpty();
    }
}
