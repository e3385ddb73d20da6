package dev.firebreak.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.detect.DetectionSerdes;
import dev.firebreak.detect.DetectionTopology;
import dev.firebreak.rules.RulesLoader;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.signing.SigningKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/** The detection bench's workload: Zipf draws, the answer key, and the key held against the real topology. */
class DetectionWorkloadTest {
    private static final List<DetectionRule> RULES = RulesLoader.loadBundled(Instant.parse("2026-01-01T00:00:00Z")).rules();
    private static final long START_US = 1_767_225_600_000_000L;

    private static DetectionWorkload plan(long events, int principals, int partitions, int bursts, long seed) {
        return DetectionWorkload.plan(new DetectionWorkload.Settings(events, principals, 1.1, partitions, bursts, seed, START_US),
                RULES);
    }

    @Test
    void zipfDrawsFollowTheLawAndUniformAtExponentZero() {
        ZipfSampler zipf = new ZipfSampler(1000, 1.1);
        SplittableRandom random = new SplittableRandom(1);
        int draws = 200_000;
        int[] counts = new int[1000];
        for (int i = 0; i < draws; i++) {
            counts[zipf.sample(random)]++;
        }
        for (int rank : new int[] {0, 1, 9, 99}) {
            double expected = zipf.probability(rank) * draws;
            assertThat((double) counts[rank]).as("rank %d", rank).isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(8));
        }
        assertThat(counts[0]).isGreaterThan(counts[1]).isGreaterThan(counts[9]);
        // rank k is drawn (k+1)^1.1 times less often than rank 0
        assertThat(zipf.probability(9) / zipf.probability(0)).isCloseTo(Math.pow(10, -1.1), org.assertj.core.data.Offset.offset(1e-12));

        ZipfSampler uniform = new ZipfSampler(4, 0);
        int[] flat = new int[4];
        for (int i = 0; i < 40_000; i++) {
            flat[uniform.sample(random)]++;
        }
        for (int c : flat) {
            assertThat(c).isBetween(9_400, 10_600);
        }
    }

    @Test
    void partitionOfIsKafkasDefaultPartitioner() {
        for (String key : List.of("pg:bench-c0/role_0", "token:bench/tok_7", "agent:bench-9", "pg:bench-burst/owner_1_a", "")) {
            for (int partitions : new int[] {1, 2, 4, 7}) {
                assertThat(DetectionWorkload.partitionOf(key, partitions))
                        .isEqualTo(BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), partitions));
            }
        }
    }

    @Test
    void halfTheBurstsSpreadOverLinkedCredentialsOnDifferentPartitionsEachBelowTheThreshold() {
        DetectionWorkload workload = plan(100_000, 1_000, 4, 6, 3);
        DetectionRule rule = RULES.stream().filter(r -> r.id().equals(DetectionWorkload.BURST_RULE)).findFirst().orElseThrow();
        List<BurstKey> key = workload.answerKey();

        assertThat(key).hasSize(6);
        assertThat(key.stream().filter(BurstKey::linked)).hasSize(3);
        assertThat(workload.burstSize()).isEqualTo(rule.threshold()); // one table per DROP TABLE
        Map<String, String> owners = new HashMap<>();
        workload.links().forEach(l -> owners.put(l.getPrincipal(), l.getOwner()));
        for (BurstKey burst : key) {
            if (burst.linked()) {
                assertThat(burst.crossPartition()).as("burst %d", burst.id()).isTrue();
                assertThat(burst.credentials()).allSatisfy(c -> assertThat(owners).containsEntry(c, burst.expected()));
            } else {
                assertThat(burst.expected()).isEqualTo(burst.credentials().get(0));
                assertThat(owners).doesNotContainKey(burst.expected());
            }
            for (int i = 0; i < burst.credentials().size(); i++) {
                assertThat(burst.partitions().get(i))
                        .isEqualTo(DetectionWorkload.partitionOf(burst.credentials().get(i), 4));
            }
        }

        Map<String, List<Long>> burstTimes = new HashMap<>();
        DetectionWorkload.Stats stats = workload.forEach(e -> {
            if (key.stream().anyMatch(b -> b.credentials().contains(e.getPrincipal()))) {
                burstTimes.computeIfAbsent(e.getPrincipal(), p -> new ArrayList<>()).add(e.getEventTimeUs());
            }
        });
        assertThat(stats.events()).isEqualTo(100_000);
        assertThat(stats.burstEvents()).isEqualTo(6 * rule.threshold());
        for (BurstKey burst : key) {
            List<Long> times = burst.credentials().stream().flatMap(c -> burstTimes.get(c).stream()).sorted().toList();
            assertThat(times).hasSize((int) rule.threshold());
            assertThat(times.get(times.size() - 1) - times.get(0)).isLessThanOrEqualTo(rule.window().toNanos() / 1000);
            for (String credential : burst.credentials()) {
                assertThat((long) burstTimes.get(credential).size()).as("each credential below the threshold when linked")
                        .isLessThan(burst.linked() ? rule.threshold() : rule.threshold() + 1);
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameEventsAndAnotherSeedOthers() {
        assertThat(digest(plan(20_000, 500, 4, 4, 11))).isEqualTo(digest(plan(20_000, 500, 4, 4, 11)))
                .isNotEqualTo(digest(plan(20_000, 500, 4, 4, 12)));
    }

    @Test
    void fewPrincipalsTakeMostEventsAndDistinctPrincipalsAreCounted() {
        DetectionWorkload workload = plan(50_000, 10_000, 4, 2, 5);
        Map<String, Integer> perPrincipal = new HashMap<>();
        DetectionWorkload.Stats stats = workload.forEach(e -> perPrincipal.merge(e.getPrincipal(), 1, Integer::sum));
        assertThat(stats.distinctPrincipals()).isEqualTo(perPrincipal.size() + 1); // the linked burst's owner sends nothing
        int top = perPrincipal.values().stream().sorted((a, b) -> b - a).limit(100).mapToInt(Integer::intValue).sum();
        assertThat(top).as("the 100 busiest of 10,000 principals").isGreaterThan(50_000 / 3);
        assertThat(stats.noise()).containsKeys(DetectionWorkload.Noise.INSERT, DetectionWorkload.Noise.DROP_TABLE_ONCE,
                DetectionWorkload.Noise.AGENT_READ);
    }

    @Test
    void tooFewEventsForTheBurstsFailsNamingTheOptions() {
        assertThatThrownBy(() -> plan(20, 100, 4, 20, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--events").hasMessageContaining("--bursts");
    }

    /**
     * The answer key against the production topology on one partition (where owner windows are
     * whole): every burst exactly one command, and the noise none.
     */
    @Test
    void onOnePartitionTheTopologyRevokesEachBurstOnceAndNothingElse() throws Exception {
        DetectionWorkload workload = plan(30_000, 2_000, 1, 6, 7);
        assertThat(workload.notes()).isEmpty();
        String registry = "mem://detection-workload-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        Path state = Files.createTempDirectory("detection-workload");
        SigningKey key = SigningKey.of("detection-workload-test-signing-secret-0123456789");
        DetectionConfig config = new DetectionConfig("detection-workload-test", "unused:9092", registry, state, RULES, null,
                false, Map.of());
        List<RevokeCommand> commands;
        try (TopologyTestDriver driver = new TopologyTestDriver(DetectionTopology.build(RULES, serdes, key),
                config.toStreamsProperties())) {
            TestInputTopic<String, PrincipalLink> links = driver.createInputTopic(Topics.PRINCIPAL_LINKS,
                    new StringSerializer(), serdes.principalLinks().serializer());
            workload.links().forEach(l -> links.pipeInput(l.getPrincipal(), l));
            TestInputTopic<String, AuditEvent> audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(),
                    serdes.auditEvents().serializer());
            workload.forEach(e -> audit.pipeInput(e.getPrincipal(), e, Instant.ofEpochMilli(e.getEventTimeUs() / 1000)));
            TestOutputTopic<String, RevokeCommand> out = driver.createOutputTopic(Topics.KILLSWITCH_COMMANDS,
                    new StringDeserializer(), serdes.revokeCommands().deserializer());
            commands = out.readValuesToList();
        } finally {
            DetectionBenchCommand.deleteTree(state);
        }
        BurstScore score = BurstScore.of(workload.answerKey(), DetectionWorkload.BURST_RULE, commands);
        assertThat(score.unexpected()).isEmpty();
        assertThat(score.caught()).isEqualTo(6);
        assertThat(score.missed()).isZero();
        assertThat(score.duplicated()).isZero();
    }

    private static long digest(DetectionWorkload workload) {
        long[] h = {17};
        workload.forEach(e -> h[0] = h[0] * 31 + e.getPrincipal().hashCode() * 7L + e.getAction().hashCode());
        return h[0];
    }
}
