package dev.firebreak.detect;

import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Idle principals go in sweeps of a bounded number of states, each resuming where the last stopped. */
class IdlePurgeTest {
    private static final DetectionRule RULE = DetectionRule.defaults();
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> audit;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void eachSweepReadsAtMostItsBatchAndTheNextResumesAfterIt() {
        start(2);
        for (int i = 0; i < 5; i++) {
            send("pg:prod/p" + i, "p" + i, 0.0);
        }
        KeyValueStore<String, DropBurstState> store = driver.getKeyValueStore(DetectionNames.dropBurstState(RULE.id()));

        send("pg:prod/zz_clock", "c1", 40.0); // sweep 1: p0, p1
        assertThat(present(store)).containsExactly(false, false, true, true, true);
        send("pg:prod/zz_clock", "c2", 50.0); // sweep 2: p2, p3
        assertThat(present(store)).containsExactly(false, false, false, false, true);
        send("pg:prod/zz_clock", "c3", 60.0); // sweep 3: p4 and the clock, which is not idle
        assertThat(present(store)).containsExactly(false, false, false, false, false);
        assertThat(store.get("pg:prod/zz_clock")).isNotNull();

        send("pg:prod/p0", "p0b", 70.0); // sweep 4 reads nothing after the clock and starts over
        send("pg:prod/p1", "p1b", 200.0); // sweep 5 from the start: p0 (idle) and p1 (not)
        assertThat(store.get("pg:prod/p0")).isNull();
        assertThat(store.get("pg:prod/p1")).isNotNull();
        assertThat(store.get("pg:prod/zz_clock")).as("idle, but after this sweep's batch").isNotNull();
        send("pg:prod/p1", "p1c", 210.0); // sweep 6 resumes after p1
        assertThat(store.get("pg:prod/zz_clock")).isNull();
        assertThat(store.get("pg:prod/p1")).isNotNull();
    }

    private static boolean[] present(KeyValueStore<String, DropBurstState> store) {
        boolean[] present = new boolean[5];
        for (int i = 0; i < 5; i++) {
            present[i] = store.get("pg:prod/p" + i) != null;
        }
        return present;
    }

    private void send(String principal, String id, double seconds) {
        AuditEvent event = dropTables(principal, id, at(seconds), "public." + id);
        audit.pipeInput(principal, event, Instant.ofEpochMilli(at(seconds) / 1000));
    }

    // The rule's processor alone, with a sweep of purgeBatch states, and the stores it reads.
    private void start(int purgeBatch) {
        DetectionSerdes serdes = DetectionSerdes.forRegistry("mem://purge-test-" + UUID.randomUUID());
        Topology topology = new Topology();
        topology.addSource(DetectionNames.AUDIT_EVENTS_SOURCE, new StringDeserializer(), serdes.auditEvents().deserializer(),
                Topics.AUDIT_EVENTS);
        String detector = DetectionNames.dropBurstDetector(RULE.id());
        topology.addProcessor(detector, () -> new RuleProcessor(RULE, DetectionMetrics.NONE, TestSigning.KEY,
                ReissuePolicy.DISABLED, purgeBatch), DetectionNames.AUDIT_EVENTS_SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(DetectionNames.dropBurstState(RULE.id())),
                Serdes.String(), new DropBurstStateSerde()).withCachingEnabled(), detector);
        topology.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(DetectionNames.PRINCIPAL_LINKS_STORE),
                        Serdes.String(), serdes.principalLinks()).withLoggingDisabled(),
                DetectionNames.PRINCIPAL_LINKS_SOURCE, new StringDeserializer(), serdes.principalLinks().deserializer(),
                Topics.PRINCIPAL_LINKS, DetectionNames.PRINCIPAL_LINKS_UPDATER, PrincipalLinks.Updater::new);
        topology.addSink(DetectionNames.REVOKE_COMMANDS_SINK, Topics.KILLSWITCH_COMMANDS, new StringSerializer(),
                serdes.revokeCommands().serializer(), detector);
        topology.addSink(DetectionNames.ALERTS_SINK, Topics.ALERTS, new StringSerializer(), serdes.alerts().serializer(),
                detector);
        java.util.Properties props = new java.util.Properties();
        props.put("application.id", "purge-test");
        props.put("bootstrap.servers", "unused:9092");
        driver = new TopologyTestDriver(topology, props);
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
    }
}
