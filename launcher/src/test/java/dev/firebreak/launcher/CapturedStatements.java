package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.launcher.demo.RogueAgent;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.stack.PostgresService;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What the failure tests check after a burst: every statement the rogue ran that PostgreSQL
 * executed or refused has its event in the events topic, read back from Kafka itself.
 */
final class CapturedStatements {
    /** SQLSTATE of a statement refused because its role has been locked. */
    private static final String LOCKED = "FB002";
    private CapturedStatements() {
    }

    /** The principal's events in {@link Topics#AUDIT_EVENTS}, read from the start until {@code enough} holds or time runs out. */
    static List<AuditEvent> events(Map<String, String> client, String registryUrl, String principal,
                                   Predicate<List<AuditEvent>> enough, Duration timeout) {
        var deserializer = new RegistryAvroDeserializer<>(AuditEvent.class, SchemaRegistries.forUrl(registryUrl));
        List<AuditEvent> found = new ArrayList<>();
        Map<String, Object> props = new java.util.HashMap<>(client);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            // The principal's events are in one partition of several; which one is Kafka's to say.
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.AUDIT_EVENTS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && !enough.test(found)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (principal.equals(r.key())) {
                        found.add(deserializer.deserialize(r.topic(), r.value()));
                    }
                }
            }
        }
        return found;
    }

    /** Last offset + 1 of the single-partition topic: how many records it ever received. */
    static long endOffset(Map<String, String> client, String topic) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                new java.util.HashMap<String, Object>(client), new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(tp)).get(tp);
        }
    }

    /** The tables {@code <schema>.t001..t<tables>} that no longer exist. */
    static Set<String> tablesGone(PostgresService postgres, String schema, int tables) throws SQLException {
        Set<String> gone = new HashSet<>();
        try (Connection c = postgres.superuserConnection();
             PreparedStatement st = c.prepareStatement("SELECT to_regclass(?) IS NULL")) {
            for (int i = 1; i <= tables; i++) {
                String table = String.format("%s.t%03d", schema, i);
                st.setString(1, table);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        gone.add(table);
                    }
                }
            }
        }
        return gone;
    }

    /** Whether every drop the rogue saw succeed or be refused by the guard has an event naming its table. */
    static Predicate<List<AuditEvent>> covers(RogueAgent.Run run) {
        return events -> missing(run, events).isEmpty();
    }

    /** The drops (table, and whether it went through) that have no event. */
    static List<String> missing(RogueAgent.Run run, List<AuditEvent> events) {
        Set<String> executed = tables(events, e -> !"blocked".equals(e.getAttributes().get("guard_outcome")));
        Set<String> refused = tables(events, e -> "blocked".equals(e.getAttributes().get("guard_outcome")));
        List<String> missing = new ArrayList<>();
        List<String> lockedRefusals = new ArrayList<>();
        for (RogueAgent.Drop drop : run.drops()) {
            String table = drop.table().replace("\"", "");
            if (drop.ok() && !executed.contains(table)) {
                missing.add(table + " (dropped)");
            } else if (LOCKED.equals(drop.sqlState())) {
                lockedRefusals.add(table);
            } else if (drop.refusedByGuard() && !refused.contains(table)) {
                missing.add(table + " (refused " + drop.sqlState() + ")");
            }
        }
        // A locked role's DDL is refused before it runs (ddl_command_start), when PostgreSQL has not
        // resolved what it would drop: those events name no table, so they are counted instead.
        long lockedEvents = events.stream().filter(e -> "DROP TABLE".equals(e.getAction()))
                .filter(e -> "blocked".equals(e.getAttributes().get("guard_outcome")))
                .filter(e -> "firebreak-locked".equals(e.getAttributes().get("guard_rule")))
                .map(AuditEvent::getEventId).distinct().count();
        if (lockedEvents < lockedRefusals.size()) {
            missing.add(lockedRefusals.size() - lockedEvents + " of the refusals of the locked role (FB002): " + lockedRefusals);
        }
        return missing;
    }

    private static Set<String> tables(List<AuditEvent> events, Predicate<AuditEvent> which) {
        return events.stream().filter(e -> "DROP TABLE".equals(e.getAction())).filter(which)
                .flatMap(e -> e.getObjects().stream()).map(AffectedObject::getIdentity).collect(Collectors.toSet());
    }

    /**
     * Asserts nothing was lost: each table gone from PostgreSQL and each drop the rogue saw go
     * through or be refused has its event. Duplicates (a producer retry across a leader change,
     * a replay after a restart) are allowed, and recognisable by their event id; returns how many.
     */
    static long assertNothingLost(RogueAgent.Run run, Set<String> tablesGone, List<AuditEvent> events) {
        assertThat(missing(run, events)).as("drops without their event").isEmpty();
        assertThat(tables(events, e -> !"blocked".equals(e.getAttributes().get("guard_outcome"))))
                .as("every table gone from PostgreSQL has its DROP event").containsAll(tablesGone);
        return events.size() - events.stream().map(AuditEvent::getEventId).distinct().count();
    }
}
