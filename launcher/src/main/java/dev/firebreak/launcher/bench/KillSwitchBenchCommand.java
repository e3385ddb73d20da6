package dev.firebreak.launcher.bench;

import dev.firebreak.schema.Principal;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.killswitch.KillSwitchService;
import dev.firebreak.killswitch.postgres.KillSwitchRoleInstaller;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.SigningKey;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Kill switch latency per target kind: commands naming a PostgreSQL role (with an open session), an
 * API token behind the signed webhook, and a Kafka principal on a cluster with the standard authorizer
 * go through the real kill switch service, one command in flight; prints, per kind, the time from the
 * command being issued to the target confirmed revoked, and the revoker's own share.
 */
@Command(name = "killswitch-bench", mixinStandardHelpOptions = true,
        description = "Measure command-to-confirmed revocation latency per target kind (postgres, webhook, kafka).")
public final class KillSwitchBenchCommand implements Callable<Integer> {
    /** A Standard Webhooks secret (the default scheme): whsec_ and base64 of 30 bytes. */
    private static final String SECRET = "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc4OQ==";
    private static final String COMMAND_SECRET = "bench-command-signing-secret-0123456789";
    private static final String RESULT_SECRET = "bench-result-signing-secret-0123456789";
    private static final String REGISTRY = "mem://killswitch-bench";

    @Option(names = "--commands", defaultValue = "100", description = "Measured commands (default ${DEFAULT-VALUE}).")
    int commands;

    @Option(names = "--warmup", defaultValue = "30", description = "Commands run first and not counted (default ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public Integer call() throws Exception {
        // The stand-in issuer is the JDK's HttpServer, which writes responses with Nagle on: with the
        // client's delayed ACK that adds ~40 ms per call, a cost of the stand-in, not of Firebreak.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int total = warmup + commands;
        System.out.printf("killswitch-bench: %d commands (+%d warm-up), 3 targets each, one in flight; 1-broker pipeline"
                + " cluster, 1-broker SASL cluster with StandardAuthorizer, PostgreSQL 17, loopback token issuer%n", commands, warmup);
        Map<String, String> users = new HashMap<>();
        users.put("firebreak", "ks-secret");
        for (int i = 0; i < total; i++) {
            users.put("agent_" + i, "pw");
        }
        try (EmbeddedKafka pipeline = EmbeddedKafka.start(1);
             EmbeddedKafka secured = EmbeddedKafka.startSecured(users);
             EmbeddedPostgres17 pg = EmbeddedPostgres17.start(Map.of());
             LoopbackTokenIssuer issuer = new LoopbackTokenIssuer(SECRET)) {
            pipeline.createTopics(List.of(Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS, Topics.ALERTS), Map.of());
            grantKillSwitch(secured);
            prepareRoles(pg, total);
            try (KillSwitchService service = KillSwitchService.start(config(pipeline, secured, pg, issuer), new SimpleMeterRegistry());
                 Runner runner = new Runner(pipeline)) {
                Map<String, List<Double>> toConfirmed = new LinkedHashMap<>();
                Map<String, List<Double>> revokeOnly = new LinkedHashMap<>();
                for (int i = 0; i < total; i++) {
                    try (Connection session = pg.connect("bench_" + i, "pw")) {
                        List<RevocationResult> results = runner.run(i);
                        if (i < warmup) {
                            continue;
                        }
                        long slowest = 0;
                        for (RevocationResult r : results) {
                            if (r.getOutcome() != RevocationOutcome.REVOKED) {
                                System.err.println("not revoked: " + r.getTarget() + " " + r.getOutcome() + " " + r.getDetail());
                                return 1;
                            }
                            long issued = runner.issuedUs;
                            toConfirmed.computeIfAbsent(r.getKind(), k -> new ArrayList<>()).add((r.getCompletedTimeUs() - issued) / 1000.0);
                            revokeOnly.computeIfAbsent(r.getKind(), k -> new ArrayList<>())
                                    .add((r.getCompletedTimeUs() - r.getStartedTimeUs()) / 1000.0);
                            slowest = Math.max(slowest, r.getCompletedTimeUs() - issued);
                        }
                        toConfirmed.computeIfAbsent("all three", k -> new ArrayList<>()).add(slowest / 1000.0);
                    }
                }
                print("command issued -> target confirmed (ms)", toConfirmed);
                print("revoker alone: start -> confirmed (ms)", revokeOnly);
            }
        }
        return 0;
    }

    private static void print(String title, Map<String, List<Double>> samples) {
        System.out.println(title);
        System.out.printf("  %-10s %5s %8s %8s %8s %8s%n", "kind", "n", "p50", "p90", "p99", "max");
        samples.forEach((kind, values) -> {
            Percentiles p = Percentiles.of(values);
            System.out.printf(Locale.ROOT, "  %-10s %5d %8.2f %8.2f %8.2f %8.2f%n", kind, p.count(), p.p50(), p.p90(), p.p99(), p.max());
        });
    }

    private static void grantKillSwitch(EmbeddedKafka secured) throws Exception {
        try (Admin admin = secured.admin()) {
            admin.createAcls(List.of(clusterAllow(AclOperation.DESCRIBE), clusterAllow(AclOperation.ALTER)))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    private static AclBinding clusterAllow(AclOperation op) {
        return new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                new AccessControlEntry("User:firebreak", "*", op, AclPermissionType.ALLOW));
    }

    private static void prepareRoles(EmbeddedPostgres17 pg, int total) throws Exception {
        try (Connection c = pg.superuserConnection(); Statement st = c.createStatement()) {
            for (int i = 0; i < total; i++) {
                st.execute("CREATE ROLE bench_" + i + " LOGIN PASSWORD 'pw'");
            }
            KillSwitchRoleInstaller.install(c, "firebreak_ks", "ks-secret", List.of(), List.of());
        }
    }

    private static KillSwitchConfig config(EmbeddedKafka pipeline, EmbeddedKafka secured, EmbeddedPostgres17 pg,
                                           LoopbackTokenIssuer issuer) {
        Map<String, String> m = new HashMap<>();
        m.put(KillSwitchConfig.CLUSTER, "bench");
        m.put(KillSwitchConfig.PG_URL, pg.jdbcUrl());
        m.put(KillSwitchConfig.PG_USER, "firebreak_ks");
        m.put(KillSwitchConfig.PG_PASSWORD, "ks-secret");
        m.put(KillSwitchConfig.BOOTSTRAP_SERVERS, pipeline.bootstrapServers());
        m.put(KillSwitchConfig.SCHEMA_REGISTRY_URL, REGISTRY);
        m.put("firebreak.killswitch.kafka.cluster", "sec");
        m.put("firebreak.killswitch.kafka.bootstrap.servers", secured.bootstrapServers());
        secured.clientProperties("firebreak").forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                m.put("firebreak.killswitch.kafka.admin." + k, v);
            }
        });
        m.put("firebreak.killswitch.webhook.paas.url", issuer.url().toString());
        m.put("firebreak.killswitch.webhook.paas.secret", SECRET);
        m.put(KillSwitchConfig.COMMAND_VERIFICATION_SECRET, COMMAND_SECRET);
        m.put(KillSwitchConfig.RESULT_SIGNING_SECRET, RESULT_SECRET);
        return KillSwitchConfig.fromMap(m);
    }

    /** Issues one command and waits for its three results. */
    private static final class Runner implements AutoCloseable {
        final KafkaProducer<String, RevokeCommand> producer;
        final KafkaConsumer<String, RevocationResult> consumer;
        long issuedUs;

        Runner(EmbeddedKafka pipeline) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers(),
                    ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(),
                    new RegistryAvroSerializer<>(RevokeCommand.class, SchemaRegistries.forUrl(REGISTRY), false));
            consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrapServers(),
                    ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                    new StringDeserializer(),
                    new RegistryAvroDeserializer<>(RevocationResult.class, SchemaRegistries.forUrl(REGISTRY)));
            TopicPartition results = new TopicPartition(Topics.KILLSWITCH_RESULTS, 0);
            consumer.assign(List.of(results));
            consumer.seekToEnd(List.of(results));
            consumer.position(results);
        }

        List<RevocationResult> run(int i) throws Exception {
            String id = "bench-" + i;
            issuedUs = Micros.now();
            RevokeCommand command = RevokeCommand.newBuilder().setCommandId(id).setRuleId("bench").setPrincipal(Principal.agent("bench-" + i).format())
                    .setTargets(List.of(Principal.postgres("bench", "bench_" + i).format(), Principal.token("paas", "tok_" + i).format(),
                            Principal.kafka("sec", "User:agent_" + i).format()))
                    .setWindowStartUs(issuedUs).setWindowEndUs(issuedUs).setTriggerEventId(id)
                    .setTriggerEventTimeUs(issuedUs).setIssuedTimeUs(issuedUs).build();
            command = RecordSignatures.sign(command, SigningKey.of(COMMAND_SECRET)); // as detection does
            producer.send(new ProducerRecord<>(Topics.KILLSWITCH_COMMANDS, command.getPrincipal(), command)).get();
            List<RevocationResult> results = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (results.size() < 3) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no results for " + id + " within 30 s");
                }
                for (ConsumerRecord<String, RevocationResult> r : consumer.poll(Duration.ofMillis(20))) {
                    if (r.value().getCommandId().equals(id)) {
                        results.add(r.value());
                    }
                }
            }
            return results;
        }

        @Override
        public void close() {
            producer.close();
            consumer.close();
        }
    }
}
