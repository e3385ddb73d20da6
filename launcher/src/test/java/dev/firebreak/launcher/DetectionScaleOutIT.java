package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.detect.DetectionService;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.TopicPlan;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.stack.EmbeddedKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detection scaled out (issue 17): the audit events on {@value TopicPlan#DETECTION_PARTITIONS} partitions,
 * several detection instances in one consumer group, each with its own state directory. A burst spread
 * over credentials linked to one owner, whose keys hash to partitions owned by different instances,
 * meets in the owner's task through {@code firebreak.detection.owner-events.v1} and is caught exactly
 * once; a rule edit keeps the other rules' open episodes; a standby takes over a killed instance's
 * window mid-burst.
 */
class DetectionScaleOutIT {
    private static final String STREAMS = DetectionConfig.STREAMS_PREFIX;
    private static final Logger LOG = LoggerFactory.getLogger(DetectionScaleOutIT.class);
    private static final String SECRET = "scale-out-it-signing-secret-0123456789";
    private static final String RULE = "pg-drop-table-burst";
    private static final int PARTITIONS = TopicPlan.DETECTION_PARTITIONS;
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** How long to keep watching for a second command once the first arrived. */
    private static final Duration SETTLE = Duration.ofSeconds(5);

    @Test
    void twoInstancesCatchABurstAcrossLinkedCredentialsOnDifferentPartitionsExactlyOnce() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1)) {
            Scenario s = new Scenario(kafka, "mem://scale-out-it-" + UUID.randomUUID());
            s.createTopics(Map.of());
            s.linkOnePerPartition();
            try (DetectionService a = s.detection("detection-a", Map.of());
                 DetectionService b = s.detection("detection-b", Map.of())) {
                a.start();
                b.start();
                Map<String, Set<Integer>> owned = s.awaitBothOwnPartitions(a, b);
                String credA = s.credentialOn(owned.get("detection-a").iterator().next());
                String credB = s.credentialOn(owned.get("detection-b").iterator().next());
                LOG.info("assignment {}; {} on partition {}, {} on {}, owner {} on {}", owned, credA, partition(credA),
                        credB, partition(credB), s.owner, partition(s.owner));

                long t0 = Micros.now();
                s.drop(credA, "a1", t0);
                s.drop(credB, "b1", t0 + 100_000);
                s.drop(credA, "a2", t0 + 200_000);
                s.drop(credB, "b2", t0 + 300_000);

                List<RevokeCommand> commands = s.awaitSettledCommands();
                assertThat(commands).singleElement().satisfies(c -> {
                    assertThat(c.getPrincipal()).isEqualTo(s.owner);
                    // events from two partitions reach the owner's partition in the order their tasks
                    // wrote them: b1 and b2 may both come before a1, so any of the four can be the third
                    assertThat(c.getTriggerEventId()).isIn("a1", "b1", "a2", "b2");
                    assertThat(c.getTargets()).contains(credA, credB);
                });
                assertThat(s.alerts()).singleElement().satisfies(alert -> assertThat(alert.getOwner()).isEqualTo(s.owner));
                hopLatencySmoke(s, credA, credB);
            }
        }
    }

    /**
     * Not asserted, printed: from the trigger event's acknowledgement to its command reaching a
     * read_committed consumer, for an unlinked principal (counted in place) and for the owner of two
     * linked credentials (one more transaction and fetch through the owner-events topic). A smoke
     * figure from a loaded shared machine, a few bursts each.
     */
    private static void hopLatencySmoke(Scenario s, String credA, String credB) throws Exception {
        List<Long> inPlace = new ArrayList<>();
        List<Long> hop = new ArrayList<>();
        try (KafkaConsumer<String, RevokeCommand> watch = s.commandWatch()) {
            for (int round = 1; round <= 3; round++) {
                // a minute apart in event time: each round is a new episode
                long t = Micros.now() + round * 60_000_000L;
                String loner = "pg:scale/loner_" + round + "_" + UUID.randomUUID().toString().substring(0, 4);
                s.drop(loner, "l" + round + "a", t);
                s.drop(loner, "l" + round + "b", t + 100_000);
                Thread.sleep(1_000); // both counted before the trigger is timed
                inPlace.add(s.awaitCommandMs(watch, loner, s.drop(loner, "l" + round + "c", t + 200_000)));
                s.drop(credA, "h" + round + "a", t);
                s.drop(credB, "h" + round + "b", t + 100_000);
                Thread.sleep(1_000);
                hop.add(s.awaitCommandMs(watch, s.owner, s.drop(credA, "h" + round + "c", t + 200_000)));
            }
        }
        LOG.info("trigger acknowledged to command consumed: in place {} ms, through the owner-events hop {} ms", inPlace, hop);
        System.out.printf("detection hop smoke: in place %s ms, through owner-events %s ms%n", inPlace, hop);
    }

    /**
     * A rule edit restarts the client with the new topology under the same application id: the edited
     * rule's processor changes, every other rule keeps its store, its changelog and its task ids, so an
     * episode open before the edit stays open. Three more drops after the edit only extend it; had the
     * state been thrown away, they would trip the rule again and issue a second command.
     */
    @Test
    void aRuleEditKeepsAnUnchangedRulesOpenEpisode() throws Exception {
        Path rulesDir = Files.createTempDirectory("firebreak-scale-out-rules");
        String bundled;
        try (InputStream in = DetectionConfig.class.getResourceAsStream("/dev/firebreak/detect/rules/firebreak.yaml")) {
            bundled = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path rules = rulesDir.resolve("firebreak.yaml");
        Files.writeString(rules, bundled, StandardCharsets.UTF_8);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1)) {
            Scenario s = new Scenario(kafka, "mem://scale-out-reload-it-" + UUID.randomUUID());
            s.createTopics(Map.of());
            String rogue = "pg:scale/rogue_" + UUID.randomUUID().toString().substring(0, 6);
            try (DetectionService detection = s.detection("detection-a", Map.of(DetectionConfig.RULES_PATH, rulesDir.toString()))) {
                detection.start();
                long t0 = Micros.now();
                for (int i = 0; i < 3; i++) {
                    s.drop(rogue, "r" + i, t0 + i * 100_000L);
                }
                assertThat(s.awaitSettledCommands()).singleElement().satisfies(c -> assertThat(c.getPrincipal()).isEqualTo(rogue));

                String edited = bundled.replace("threshold: 2\n    window: 5s", "threshold: 4\n    window: 5s");
                assertThat(edited).as("the truncate rule's threshold is edited").isNotEqualTo(bundled);
                Files.writeString(rules, edited, StandardCharsets.UTF_8);
                Awaitility.await().atMost(WAIT).until(() -> detection.rules().stream()
                        .anyMatch(r -> r.id().equals("pg-truncate-burst") && r.threshold() == 4));
                Awaitility.await().atMost(WAIT).until(() -> detection.state() == KafkaStreams.State.RUNNING);

                for (int i = 3; i < 6; i++) {
                    s.drop(rogue, "r" + i, t0 + i * 100_000L); // within the episode's quiet period (event time)
                }
                s.awaitCommittedPast(rogue, 6);
                assertThat(s.commands()).as("the open episode survived the edit: extended, not tripped again").hasSize(1);
            }
        }
    }

    /**
     * Failover on three brokers: two instances with a standby each; the instance holding the owner's
     * window is stopped after two drops of a burst without leaving the group (close with no wait, as near
     * to a crash as an in-JVM client gets: the group keeps it until the session times out). The survivor
     * takes the task over from its standby copy and the third drop trips the rule: one command, one alert.
     */
    @Test
    void aStandbyTakesOverAStoppedInstanceMidWindowAndCatchesTheBurstOnce() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(3)) {
            Scenario s = new Scenario(kafka, "mem://scale-out-failover-it-" + UUID.randomUUID());
            s.createTopics(Map.of("min.insync.replicas", "2"));
            s.linkOnePerPartition();
            // No record cache here: the test waits for each counted event's write to the owner's
            // changelog (what the standby reads), which the cache would fold into one per commit.
            Map<String, String> durable = Map.of(STREAMS + "replication.factor", "3", STREAMS + "topic.min.insync.replicas", "2",
                    STREAMS + "consumer.session.timeout.ms", "6000", STREAMS + "consumer.heartbeat.interval.ms", "1500",
                    STREAMS + "statestore.cache.max.bytes", "0");
            DetectionService a = s.detection("detection-a", durable);
            DetectionService b = s.detection("detection-b", durable);
            try {
                a.start();
                b.start();
                Map<String, Set<Integer>> owned = s.awaitBothOwnPartitions(a, b);
                int ownerPartition = partition(s.owner);
                String victimId = owned.get("detection-a").contains(ownerPartition) ? "detection-a" : "detection-b";
                DetectionService victim = victimId.equals("detection-a") ? a : b;
                String cred1 = s.credentialOn((ownerPartition + 1) % PARTITIONS);
                String cred2 = s.credentialOn((ownerPartition + 2) % PARTITIONS);
                LOG.info("assignment {}; owner {} on partition {} (task 0_{} on {}), credentials {} and {}", owned, s.owner,
                        ownerPartition, ownerPartition, victimId, cred1, cred2);
                DetectionService survivor = victim == a ? b : a;
                String task = "0_" + ownerPartition;
                Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                        assertThat(survivor.localTasks().standby()).as("the survivor keeps a standby of the owner's task")
                                .contains(task));

                long t0 = Micros.now();
                s.drop(cred1, "f1", t0);
                s.drop(cred2, "f2", t0 + 100_000);
                s.awaitOwnerWindowWrites(2);
                long stoppedNs = System.nanoTime();
                victim.close(Duration.ZERO);
                s.drop(cred1, "f3", t0 + 200_000);

                RevokeCommand command = s.awaitCommand();
                long failoverMs = (System.nanoTime() - stoppedNs) / 1_000_000;
                LOG.info("failover: the survivor issued the command {} ms after {} was stopped", failoverMs, victimId);
                System.out.printf("detection failover: command %d ms after the instance holding the window stopped%n", failoverMs);
                assertThat(failoverMs).as("failover within a generous bound").isLessThan(60_000);
                assertThat(command.getPrincipal()).isEqualTo(s.owner);
                assertThat(command.getTriggerEventId()).isEqualTo("f3");
                assertThat(s.awaitSettledCommands()).as("no command lost or duplicated under two ids").singleElement()
                        .satisfies(c -> assertThat(c.getCommandId()).isEqualTo(command.getCommandId()));
                assertThat(s.alerts()).hasSize(1);
                assertThat(survivor.localTasks().active()).as("the standby became the active task").contains(task);
            } finally {
                a.close(Duration.ofSeconds(10));
                b.close(Duration.ofSeconds(10));
            }
        }
    }

    @Test
    void detectionRefusesToStartUnlessItsTwoInputsAreCoPartitioned() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1)) {
            Scenario s = new Scenario(kafka, "mem://scale-out-copartition-it-" + UUID.randomUUID());
            kafka.createTopics(List.of(Topics.AUDIT_EVENTS), PARTITIONS, Map.of());
            try (DetectionService detection = s.detection("detection-a", Map.of())) {
                assertThatThrownBy(detection::start).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("topic " + Topics.DETECTION_OWNER_EVENTS + " does not exist")
                        .hasMessageContaining("firebreak topics create");
            }
            kafka.createTopics(List.of(Topics.DETECTION_OWNER_EVENTS), PARTITIONS / 2, Map.of());
            try (DetectionService detection = s.detection("detection-a", Map.of())) {
                assertThatThrownBy(detection::start).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("partitions {" + Topics.AUDIT_EVENTS + "=" + PARTITIONS + ", "
                                + Topics.DETECTION_OWNER_EVENTS + "=" + PARTITIONS / 2 + "} differ");
            }
        }
    }

    /** The partition Kafka's default partitioner picks for {@code key} (murmur2 of its UTF-8 bytes). */
    static int partition(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    /** One cluster, one owner with a linked credential on every partition, and readers of what detection wrote. */
    private static final class Scenario {
        private final EmbeddedKafka kafka;
        private final String registry;
        private final String owner = "agent:scale-" + UUID.randomUUID().toString().substring(0, 6);
        private final Map<Integer, String> credentials = new LinkedHashMap<>();
        private KafkaProducer<String, byte[]> producer;

        Scenario(EmbeddedKafka kafka, String registry) {
            this.kafka = kafka;
            this.registry = registry;
        }

        void createTopics(Map<String, String> configs) {
            kafka.createTopics(TopicPlan.CO_PARTITIONED, PARTITIONS, configs);
            kafka.createTopics(List.of(Topics.AUDIT_DLQ, Topics.ALERTS, Topics.KILLSWITCH_COMMANDS, Topics.PRINCIPAL_LINKS),
                    configs);
        }

        /** Links, to the owner, one credential whose key the default partitioner puts on each partition. */
        void linkOnePerPartition() throws Exception {
            for (int i = 0; credentials.size() < PARTITIONS; i++) {
                String credential = "pg:scale/role_" + i + "_" + owner.substring(owner.length() - 6);
                credentials.putIfAbsent(partition(credential), credential);
            }
            var serializer = new RegistryAvroSerializer<>(PrincipalLink.class, SchemaRegistries.forUrl(registry), false);
            try (KafkaProducer<String, byte[]> producer = producer()) {
                for (String credential : credentials.values()) {
                    PrincipalLink link = PrincipalLink.newBuilder().setPrincipal(credential).setOwner(owner)
                            .setReason("scale-out test").setLinkedTimeUs(Micros.now()).build();
                    producer.send(new ProducerRecord<>(Topics.PRINCIPAL_LINKS, credential,
                            serializer.serialize(Topics.PRINCIPAL_LINKS, link))).get();
                }
            }
        }

        String credentialOn(int partition) {
            return credentials.get(partition);
        }

        DetectionService detection(String clientId, Map<String, String> extra) throws Exception {
            Map<String, String> config = new HashMap<>(Map.of(
                    DetectionConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                    DetectionConfig.SCHEMA_REGISTRY_URL, registry,
                    DetectionConfig.STATE_DIR, Files.createTempDirectory("firebreak-" + clientId).toString(),
                    DetectionConfig.COMMAND_SIGNING_SECRET, SECRET,
                    STREAMS + "client.id", clientId));
            config.putAll(extra);
            return new DetectionService(DetectionConfig.fromMap(config), new SimpleMeterRegistry());
        }

        /** Waits until both instances run and each owns at least one audit partition; returns them by client id. */
        Map<String, Set<Integer>> awaitBothOwnPartitions(DetectionService a, DetectionService b) {
            Map<String, Set<Integer>> owned = new HashMap<>();
            try (Admin admin = kafka.admin()) {
                Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
                    if (a.state() != KafkaStreams.State.RUNNING || b.state() != KafkaStreams.State.RUNNING) {
                        return false;
                    }
                    ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(DetectionConfig.DEFAULT_APPLICATION_ID))
                            .all().get().get(DetectionConfig.DEFAULT_APPLICATION_ID);
                    owned.clear();
                    for (MemberDescription member : group.members()) {
                        String instance = member.clientId().startsWith("detection-a") ? "detection-a" : "detection-b";
                        member.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(Topics.AUDIT_EVENTS))
                                .forEach(tp -> owned.computeIfAbsent(instance, k -> new TreeSet<>()).add(tp.partition()));
                    }
                    return owned.size() == 2 && owned.values().stream().mapToInt(Set::size).sum() == PARTITIONS;
                });
            }
            return owned;
        }

        /** Sends the drop and returns {@link System#nanoTime()} once Kafka acknowledged it. */
        long drop(String principal, String eventId, long timeUs) throws Exception {
            var serializer = new RegistryAvroSerializer<>(AuditEvent.class, SchemaRegistries.forUrl(registry), false);
            AuditEvent event = AuditEvent.newBuilder()
                    .setEventId(eventId).setPrincipal(principal).setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                    .setAction("DROP TABLE").setEventTimeUs(timeUs).setCapturedTimeUs(timeUs + 1_000)
                    .setCluster("scale").setStatement("DROP TABLE " + eventId)
                    .setObjects(List.of(AffectedObject.newBuilder().setObjectType("table").setIdentity("public." + eventId)
                            .setOriginal(true).build()))
                    .setDestructive(true).setAttributes(Map.of("trigger", "sql_drop")).build();
            if (producer == null) {
                producer = producer();
            }
            producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, principal,
                    serializer.serialize(Topics.AUDIT_EVENTS, event))).get();
            return System.nanoTime();
        }

        /** A read_committed consumer of the commands topic, at its end. */
        KafkaConsumer<String, RevokeCommand> commandWatch() {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            KafkaConsumer<String, RevokeCommand> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                    new RegistryAvroDeserializer<>(RevokeCommand.class, SchemaRegistries.forUrl(registry)));
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.KILLSWITCH_COMMANDS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            return consumer;
        }

        /** Milliseconds from {@code sentNs} until {@code watch} sees a command for {@code principal}. */
        long awaitCommandMs(KafkaConsumer<String, RevokeCommand> watch, String principal, long sentNs) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (var record : watch.poll(Duration.ofMillis(5))) {
                    if (record.value().getPrincipal().equals(principal)) {
                        return (System.nanoTime() - sentNs) / 1_000_000;
                    }
                }
            }
            throw new AssertionError("no command for " + principal + " within " + WAIT);
        }

        /**
         * Waits until the owner's window state for {@value #RULE} was committed {@code writes} times to its
         * changelog: the events so far are counted, in the owner's task, and a standby can have them.
         */
        void awaitOwnerWindowWrites(int writes) {
            String changelog = DetectionConfig.DEFAULT_APPLICATION_ID + "-drop-burst-state-" + RULE + "-changelog";
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> readAll(changelog, new org.apache.kafka.common.serialization.ByteArrayDeserializer()).stream()
                            .filter(r -> owner.equals(r.key())).count() >= writes);
        }

        /** Waits until detection committed past {@code records} audit records of {@code principal}'s partition. */
        void awaitCommittedPast(String principal, long records) {
            TopicPartition input = new TopicPartition(Topics.AUDIT_EVENTS, partition(principal));
            try (Admin admin = kafka.admin()) {
                Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                    var committed = admin.listConsumerGroupOffsets(DetectionConfig.DEFAULT_APPLICATION_ID)
                            .partitionsToOffsetAndMetadata().get().get(input);
                    return committed != null && committed.offset() >= records;
                });
            }
        }

        RevokeCommand awaitCommand() {
            List<RevokeCommand> found = new ArrayList<>();
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
                found.clear();
                found.addAll(commands());
                return !found.isEmpty();
            });
            return found.get(0);
        }

        /** The owner's and everyone's commands once one arrived and no other followed for {@link #SETTLE}. */
        List<RevokeCommand> awaitSettledCommands() throws InterruptedException {
            awaitCommand();
            Thread.sleep(SETTLE.toMillis());
            return commands();
        }

        List<RevokeCommand> commands() {
            return readAll(Topics.KILLSWITCH_COMMANDS,
                    new RegistryAvroDeserializer<>(RevokeCommand.class, SchemaRegistries.forUrl(registry))).stream()
                    .map(r -> (RevokeCommand) r.value()).toList();
        }

        /** Alerts of the burst rule (baselines may add their own, alert-only). */
        List<Alert> alerts() {
            return readAll(Topics.ALERTS, new RegistryAvroDeserializer<>(Alert.class, SchemaRegistries.forUrl(registry)))
                    .stream().map(r -> (Alert) r.value()).filter(a -> a.getRuleId().equals(RULE)).toList();
        }

        /** Every committed record of {@code topic}, all partitions, read to the end as the kill switch reads it. */
        private <V> List<org.apache.kafka.clients.consumer.ConsumerRecord<String, V>> readAll(
                String topic, org.apache.kafka.common.serialization.Deserializer<V> values) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            List<org.apache.kafka.clients.consumer.ConsumerRecord<String, V>> found = new ArrayList<>();
            try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
                List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(100)).forEach(found::add);
                }
            }
            return found;
        }

        private KafkaProducer<String, byte[]> producer() {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        }
    }
}
