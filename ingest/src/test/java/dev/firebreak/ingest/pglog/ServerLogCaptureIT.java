package dev.firebreak.ingest.pglog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.ingest.kafka.AuditSink;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DROP DATABASE, role and membership commands, which fire no event trigger, arrive through the
 * server log. Each test names its objects with its own prefix and reads only the events naming it,
 * since all share one server, one topic and one read position.
 */
class ServerLogCaptureIT {
    private static final String REGISTRY = "mem://pglog-it";
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static Path positionFile;
    private static AuditSink sink;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres17.start(Map.of());
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
        positionFile = Files.createTempFile("pglog", ".position");
        Files.delete(positionFile);
        // the ingest stage's producer, which the server-log path shares and does not close
        sink = new AuditSink(kafka.bootstrapServers(), REGISTRY, Map.of(), new SimpleMeterRegistry());
    }

    @AfterAll
    static void stop() {
        if (sink != null) {
            sink.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void globalCommandsArriveOnceAndARestartResumesWhereItStopped() throws Exception {
        try (KafkaConsumer<String, AuditEvent> consumer = consumer()) {
            try (ServerLogCapture capture = capture()) {
                run("CREATE DATABASE scratch", "CREATE ROLE mallory LOGIN", "CREATE TABLE only_triggers_see_this (id int)",
                        "DROP DATABASE scratch");
                List<AuditEvent> events = await(consumer, mentioning("scratch", "mallory"), 3);
                assertThat(events).extracting(AuditEvent::getAction)
                        .containsExactly("CREATE DATABASE", "CREATE ROLE", "DROP DATABASE");
                assertThat(events.get(2).getPrincipal()).isEqualTo("pg:it/postgres");
                assertThat(events.get(2).getDestructive()).isTrue();
            }
            // while capture is down
            run("DROP ROLE mallory");
            try (ServerLogCapture capture = capture()) {
                List<AuditEvent> events = await(consumer, mentioning("scratch", "mallory"), 1);
                assertThat(events).extracting(AuditEvent::getAction).containsExactly("DROP ROLE");
            }
        }
    }


    /**
     * The follower waits for the file system's change notice, not for its timer: with the longest
     * wait at 10 s, lines written after it went to sleep still arrive within a fraction of that.
     */
    @Test
    void aLineIsReadWhenWrittenNotWhenTheLongestWaitEnds() throws Exception {
        try (KafkaConsumer<String, AuditEvent> consumer = consumer(); ServerLogCapture capture = capture(Duration.ofSeconds(10))) {
            Thread.sleep(300); // past its first read of the log: the follower now waits
            run("CREATE ROLE it_notice_r", "DROP ROLE it_notice_r");
            List<AuditEvent> events = await(consumer, mentioning("it_notice_"), 2);
            assertThat(events).extracting(AuditEvent::getAction).containsExactly("CREATE ROLE", "DROP ROLE");
            // statement logged (server clock) to line read (ingest's clock): one host, one clock
            assertThat(events).allSatisfy(e -> assertThat(e.getCapturedTimeUs() - e.getEventTimeUs())
                    .as("microseconds from the log line to its capture").isLessThan(5_000_000L));
        }
    }

    @Test
    void commentsAndDoBlocksHideNothingWrittenInTheText() throws Exception {
        try (KafkaConsumer<String, AuditEvent> consumer = consumer(); ServerLogCapture capture = capture()) {
            // The stack logs DDL only (log_statement=ddl); PostgreSQL logs a DO block only at 'all', which
            // an operator sets for the roles worth it (ALTER ROLE agent SET log_statement = 'all').
            run("CREATE DATABASE it_c_db", "/* why */ DROP DATABASE it_c_db", "-- why\nCREATE ROLE it_c_r",
                    "SET log_statement = 'all'",
                    "DO $$ BEGIN DROP ROLE it_c_r; IF true THEN CREATE ROLE it_c_r2; END IF; END $$",
                    // built at run time: not in the logged text, so not seen (the limit of this path)
                    "DO $$ BEGIN EXECUTE format('DROP ROLE %I', 'it_c_r2'); END $$");
            List<AuditEvent> events = await(consumer, mentioning("it_c_"), 5);
            assertThat(events).extracting(AuditEvent::getAction)
                    .containsExactly("CREATE DATABASE", "DROP DATABASE", "CREATE ROLE", "DROP ROLE", "CREATE ROLE");
            assertThat(events.subList(3, 5)).allSatisfy(e -> assertThat(e.getAttributes()).containsEntry("via", "DO"));
            assertThat(events.get(3).getObjects().get(0).getIdentity()).isEqualTo("it_c_r");
            assertThat(events.get(3).getDestructive()).isTrue();
        }
    }

    @Test
    void roleMembershipIsCapturedWithWhoGrantedIt() throws Exception {
        try (KafkaConsumer<String, AuditEvent> consumer = consumer(); ServerLogCapture capture = capture()) {
            run("CREATE ROLE it_g_admin LOGIN CREATEROLE PASSWORD 'it_g_pw'");
            try (Connection c = pg.connect("it_g_admin", "it_g_pw"); Statement st = c.createStatement()) {
                for (String sql : List.of("CREATE ROLE it_g_crew", "CREATE USER it_g_eve", "GRANT it_g_crew TO it_g_eve",
                        "REVOKE it_g_crew FROM it_g_eve")) {
                    st.execute(sql);
                }
            }
            List<AuditEvent> events = await(consumer, mentioning("it_g_"), 5);
            assertThat(events).extracting(AuditEvent::getAction)
                    .containsExactly("CREATE ROLE", "CREATE ROLE", "CREATE ROLE", "GRANT ROLE", "REVOKE ROLE");
            AuditEvent grant = events.get(3);
            assertThat(grant.getPrincipal()).isEqualTo("pg:it/it_g_admin");
            assertThat(grant.getObjects()).extracting(o -> o.getIdentity()).containsExactly("it_g_crew", "it_g_eve");
            assertThat(grant.getAttributes()).containsEntry("granted_roles", "it_g_crew").containsEntry("grantees", "it_g_eve");
            assertThat(events.get(0).getStatement()).isEqualTo("CREATE ROLE it_g_admin LOGIN CREATEROLE PASSWORD '<redacted>'");
        }
    }

    @Test
    void userMappingsAreNoRolesAndNoPasswordReachesKafka() throws Exception {
        try (KafkaConsumer<String, AuditEvent> consumer = consumer(); ServerLogCapture capture = capture()) {
            run("CREATE FOREIGN DATA WRAPPER it_u_w",
                    "CREATE SERVER it_u_s FOREIGN DATA WRAPPER it_u_w OPTIONS (password 'it_u_serverpw0')",
                    "CREATE USER MAPPING FOR postgres SERVER it_u_s OPTIONS (user 'u', password 'it_u_mappingpw')",
                    "ALTER USER MAPPING FOR postgres SERVER it_u_s OPTIONS (SET password 'it_u_mappingpw2')",
                    "DROP USER MAPPING FOR postgres SERVER it_u_s");
            // one query string, one log line: the role's event carries the whole text
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl() + "?preferQueryMode=simple",
                    EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD); Statement st = c.createStatement()) {
                st.execute("CREATE ROLE it_u_r PASSWORD 'it_u_rolepw'; "
                        + "CREATE SERVER it_u_s2 FOREIGN DATA WRAPPER it_u_w OPTIONS (password $$it_u_serverpw$$)");
            }
            List<AuditEvent> events = await(consumer, mentioning("it_u_"), 1);
            assertThat(events).extracting(AuditEvent::getAction).containsExactly("CREATE ROLE");
            assertThat(events.get(0).getStatement()).doesNotContain("pw'", "serverpw")
                    .contains("PASSWORD '<redacted>'", "OPTIONS (password '<redacted>')");
        }
    }


    @Test
    void aStatementLongerThanALineMayBeIsDeadLetteredAndCaptureGoesOn() throws Exception {
        try (KafkaConsumer<String, AuditEvent> consumer = consumer(); KafkaConsumer<String, DeadLetter> dlq = deadLetters();
             ServerLogCapture capture = capture()) {
            // a session logging every statement, as an operator sets it for watched roles
            run("CREATE DATABASE it_o_db", "SET log_statement = 'all'", "SELECT '" + "x".repeat(ServerLogCapture.MAX_LINE_BYTES) + "' AS it_o_big",
                    "DROP DATABASE it_o_db");
            assertThat(await(consumer, mentioning("it_o_"), 2)).extracting(AuditEvent::getAction)
                    .containsExactly("CREATE DATABASE", "DROP DATABASE");
            List<DeadLetter> letters = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (letters.stream().noneMatch(d -> d.getReason().contains("over")) && System.nanoTime() < deadline) {
                dlq.poll(Duration.ofMillis(100)).forEach(r -> letters.add(r.value()));
            }
            assertThat(letters).anySatisfy(d -> {
                assertThat(d.getReason()).contains("over " + ServerLogCapture.MAX_LINE_BYTES);
                assertThat(d.getPayload().remaining()).isLessThanOrEqualTo(4096);
            });
        }
    }

    private static KafkaConsumer<String, DeadLetter> deadLetters() {
        KafkaConsumer<String, DeadLetter> consumer = new KafkaConsumer<>(consumerProperties(), new StringDeserializer(),
                new RegistryAvroDeserializer<>(DeadLetter.class, SchemaRegistries.forUrl(REGISTRY)));
        consumer.subscribe(List.of(Topics.AUDIT_DLQ));
        return consumer;
    }

    private static Predicate<AuditEvent> mentioning(String... markers) {
        return e -> e.getStatement() != null && Arrays.stream(markers).anyMatch(e.getStatement()::contains);
    }

    private static ServerLogCapture capture() {
        return capture(Duration.ofMillis(5));
    }

    private static ServerLogCapture capture(Duration longestWait) {
        return new ServerLogCapture(new ServerLogConfig("it", pg.dataDirectory(), longestWait, 2048, positionFile),
                sink, new SimpleMeterRegistry()).start();
    }

    private static void run(String... statements) throws Exception {
        try (Connection c = pg.superuserConnection(); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }

    private static Properties consumerProperties() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return props;
    }

    private static KafkaConsumer<String, AuditEvent> consumer() {
        KafkaConsumer<String, AuditEvent> consumer = new KafkaConsumer<>(consumerProperties(), new StringDeserializer(),
                new RegistryAvroDeserializer<>(AuditEvent.class, SchemaRegistries.forUrl(REGISTRY)));
        consumer.subscribe(List.of(Topics.AUDIT_EVENTS));
        return consumer;
    }

    /** Exactly {@code count} more events that {@code wanted} accepts: waits for them, then makes sure no extra one follows. */
    private static List<AuditEvent> await(KafkaConsumer<String, AuditEvent> consumer, Predicate<AuditEvent> wanted, int count) {
        List<AuditEvent> found = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (found.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(r -> add(found, wanted, r.value()));
        }
        consumer.poll(Duration.ofMillis(500)).forEach(r -> add(found, wanted, r.value()));
        return found;
    }

    private static void add(List<AuditEvent> found, Predicate<AuditEvent> wanted, AuditEvent event) {
        if (wanted.test(event)) {
            found.add(event);
        }
    }
}
