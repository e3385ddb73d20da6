package dev.firebreak.detect;

import dev.firebreak.rules.AuditEvents;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.detect.Baseline.BaselineSettings;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import java.time.Duration;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * Which baseline findings ask Streams to commit at once: a spike does (it pages), a principal's
 * first destructive action does not (every new principal has one; under exactly-once each commit is
 * a transaction), so it reaches the alerts topic with the next commit interval.
 */
class BaselineCommitTest {
    private static final long MINUTE_US = 60_000_000L;

    @Test
    void aFirstDestructiveActionAlertsWithoutACommitAndASpikeCommitsAtOnce() {
        MockProcessorContext<String, SpecificRecord> context = new MockProcessorContext<>();
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(DetectionNames.BASELINE_STATE), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        BaselineProcessor processor = new BaselineProcessor(new BaselineSettings(Duration.ofMinutes(1), 0.5, 2, 3),
                List.of(), DetectionMetrics.NONE);
        processor.init(context);

        processor.process(record(drop("e0", 0)));
        assertThat(forwardedRules(context)).containsExactly(BaselineProcessor.FIRST_DESTRUCTIVE_RULE);
        assertThat(context.committed()).as("first destructive: no commit of its own").isFalse();

        context.resetForwards();
        for (int i = 1; i <= 5; i++) {
            processor.process(record(drop("e" + i, 10 * MINUTE_US + i)));
        }
        assertThat(forwardedRules(context)).containsExactly(BaselineProcessor.ABOVE_BASELINE_RULE);
        assertThat(context.committed()).as("a spike commits at once").isTrue();
    }

    private static List<String> forwardedRules(MockProcessorContext<String, SpecificRecord> context) {
        return context.forwarded().stream().map(f -> ((Alert) f.record().value()).getRuleId().toString()).toList();
    }

    private static AuditEvent drop(String id, long timeUs) {
        AuditEvent event = AuditEvents.dropTables("pg:main/app", id, timeUs, "t_" + id);
        event.setDestructive(true);
        return event;
    }

    private static Record<String, AuditEvent> record(AuditEvent event) {
        return new Record<>(event.getPrincipal().toString(), event, event.getEventTimeUs() / 1000);
    }
}
