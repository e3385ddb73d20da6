package dev.firebreak.launcher.revoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.killswitch.KillSwitchService;
import dev.firebreak.killswitch.ManualRevoke;
import dev.firebreak.killswitch.postgres.KillSwitchRoleInstaller;
import dev.firebreak.launcher.CliErrors;
import dev.firebreak.launcher.FirebreakCli;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.stack.ApicurioRegistry;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code firebreak revoke} on the real in-JVM stack (Kafka, PostgreSQL 17, Apicurio Registry, the kill
 * switch service): an operator's manual revoke locks a PostgreSQL role out and ends its session, with
 * the operator and the reason on every result; a command signed with any other secret, or unsigned,
 * revokes nothing.
 */
class ManualRevokeIT {
    static final String OPERATOR_SECRET = "operators-secret-for-manual-revokes-0123";
    static final String COMMAND_SECRET = "detections-command-secret-0123456789abcd";
    static final String RESULT_SECRET = "killswitchs-result-secret-0123456789abcd";

    static EmbeddedKafka kafka;
    static EmbeddedPostgres17 pg;
    static ApicurioRegistry registry;
    static KillSwitchService service;
    static Map<String, String> settings;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(List.of(Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS, Topics.ALERTS), Map.of());
        registry = ApicurioRegistry.start(Duration.ofSeconds(120));
        pg = EmbeddedPostgres17.start(Map.of());
        try (Connection admin = pg.superuserConnection(); Statement s = admin.createStatement()) {
            s.execute("CREATE ROLE app_rw LOGIN PASSWORD 'pw'");
            s.execute("CREATE ROLE forged_target LOGIN PASSWORD 'pw'");
            s.execute("CREATE ROLE batch_rw LOGIN PASSWORD 'pw'");
            s.execute("CREATE ROLE marker_rw LOGIN PASSWORD 'pw'");
            // the kill switch gets ADMIN OPTION on the roles that exist when it is installed
            KillSwitchRoleInstaller.install(admin, "firebreak_ks", "ks-secret", List.of(), List.of());
        }
        settings = new HashMap<>();
        settings.put(KillSwitchConfig.CLUSTER, "main");
        settings.put(KillSwitchConfig.PG_URL, pg.jdbcUrl());
        settings.put(KillSwitchConfig.PG_USER, "firebreak_ks");
        settings.put(KillSwitchConfig.PG_PASSWORD, "ks-secret");
        settings.put(KillSwitchConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        settings.put(KillSwitchConfig.SCHEMA_REGISTRY_URL, registry.confluentUrl());
        settings.put(KillSwitchConfig.GROUP_ID, "manual-revoke-it");
        settings.put(KillSwitchConfig.COMMAND_VERIFICATION_SECRET, COMMAND_SECRET);
        settings.put(KillSwitchConfig.RESULT_SIGNING_SECRET, RESULT_SECRET);
        settings.put(KillSwitchConfig.OPERATOR_SECRET, OPERATOR_SECRET);
        service = KillSwitchService.start(KillSwitchConfig.fromMap(settings), new SimpleMeterRegistry());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {service, pg, registry, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort: the next closes must still run
            }
        }
        if (registry != null) {
            SchemaRegistries.forget(registry.confluentUrl());
        }
    }

    @Test
    void aManualRevokeLocksTheRoleOutAndEndsItsSession() throws Exception {
        Connection session = pg.connect("app_rw", "pw");
        Path config = write(settings, "killswitch.properties");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = CliErrors.install(new CommandLine(new FirebreakCli()));
        cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        int code = cli.execute("revoke", "--config", config.toString(), "--principal", "pg:main/app_rw",
                "--operator", "alice", "--reason", "INC-42: credentials leaked", "--timeout-ms", "30000");

        assertThat(code).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("REVOKED", "pg:main/app_rw").containsPattern("manual/\\S+ by alice: INC-42");
        assertThatThrownBy(() -> pg.connect("app_rw", "pw")).hasMessageContaining("not permitted to log in");
        assertThatThrownBy(() -> session.createStatement().execute("SELECT 1")).isInstanceOf(SQLException.class);
    }

    @Test
    void theOperatorAndReasonAreOnEverySignedResult() throws Exception {
        RevokeCommand command = ManualRevoke.command("pg:main/batch_rw", List.of(), "bob", "runaway batch job", false,
                ManualRevoke.nowUs());
        ManualRevoke.Report report = ManualRevoke.publishAndAwait(KillSwitchConfig.fromMap(settings),
                Map.of("bootstrap.servers", kafka.bootstrapServers()), command, Duration.ofSeconds(30));

        assertThat(report.complete()).isTrue();
        assertThat(report.results()).singleElement().satisfies(r -> {
            assertThat(r.getOutcome()).as(r.getDetail()).isEqualTo(RevocationOutcome.REVOKED);
            assertThat(r.getRuleId()).isEqualTo(ManualRevoke.RULE_ID);
            assertThat(r.getOperator()).isEqualTo("bob");
            assertThat(r.getReason()).isEqualTo("runaway batch job");
        });
        assertThatThrownBy(() -> pg.connect("batch_rw", "pw")).hasMessageContaining("not permitted to log in");
    }

    @Test
    void aCommandSignedWithAnotherSecretOrUnsignedRevokesNothing() throws Exception {
        Map<String, String> forger = new HashMap<>(settings);
        forger.put(KillSwitchConfig.OPERATOR_SECRET, "a-guessed-operator-secret-0123456789abcdef");
        RevokeCommand command = ManualRevoke.command("pg:main/forged_target", List.of(), "mallory", "forged", false,
                ManualRevoke.nowUs());
        ManualRevoke.Report forged = ManualRevoke.publishAndAwait(KillSwitchConfig.fromMap(forger),
                Map.of("bootstrap.servers", kafka.bootstrapServers()), command, Duration.ofSeconds(30));

        assertThat(forged.results()).singleElement().satisfies(r -> {
            assertThat(r.getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(r.getDetail()).contains("signature invalid");
        });

        // unsigned, straight onto the topic by "a random producer"
        RevokeCommand unsigned = ManualRevoke.command("pg:main/forged_target", List.of(), "mallory", "unsigned", false,
                ManualRevoke.nowUs());
        var values = new RegistryAvroSerializer<>(RevokeCommand.class, SchemaRegistries.forUrl(registry.confluentUrl()), false);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.KILLSWITCH_COMMANDS, unsigned.getPrincipal(),
                    values.serialize(Topics.KILLSWITCH_COMMANDS, unsigned))).get(30, TimeUnit.SECONDS);
        }
        // the kill switch handles commands in order: a later valid command's result proves the unsigned one was judged
        ManualRevoke.Report marker = ManualRevoke.publishAndAwait(KillSwitchConfig.fromMap(settings),
                Map.of("bootstrap.servers", kafka.bootstrapServers()),
                ManualRevoke.command("pg:main/marker_rw", List.of(), "alice", "marker", false, ManualRevoke.nowUs()),
                Duration.ofSeconds(30));
        assertThat(marker.results()).singleElement().extracting(RevocationResult::getOutcome).isEqualTo(RevocationOutcome.REVOKED);

        pg.connect("forged_target", "pw").close();
    }

    private static Path write(Map<String, String> settings, String name) throws Exception {
        Properties props = new Properties();
        props.putAll(settings);
        Path file = dir.resolve(name);
        try (var out = Files.newBufferedWriter(file)) {
            props.store(out, null);
        }
        return file;
    }
}
