package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.launcher.demo.BurstScenario;
import dev.firebreak.launcher.demo.DemoReport;
import dev.firebreak.launcher.demo.OutcomeWatcher;
import dev.firebreak.launcher.demo.RogueAgent;
import dev.firebreak.launcher.demo.Timeline;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.Severity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole path on the real in-JVM stack: PostgreSQL 17, KRaft Kafka, Apicurio Registry, the
 * Debezium capture, the Streams detection and the kill switch, against rogue roles dropping tables
 * at the incident's pace.
 */
class EndToEndIT {
    private static final String CLUSTER = "e2e";
    private static final String PROTECTED = "nightly_migrator";
    private static final int TABLES = 12;
    private static final double RATE = 6.0;
    private static LocalStack stack;
    private static Pipeline pipeline;
    private static OutcomeWatcher watcher;
    private static BurstScenario scenario;

    @BeforeAll
    static void start() {
        stack = LocalStack.start(1, m -> { });
        pipeline = Pipeline.start(PipelineSettings.forStack(stack, CLUSTER, List.of(PROTECTED)),
                new SimpleMeterRegistry(), m -> { });
        watcher = new OutcomeWatcher(stack.observerClientProperties(), stack.registryUrl(), a -> { }, r -> { });
        scenario = new BurstScenario(stack.postgres(), watcher, CLUSTER,
                new Timeline(new PrintStream(OutputStream.nullOutputStream()), true));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {watcher, pipeline, stack}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    @Test
    void everyStageIsStartedDownstreamFirstAndIsLiveAndReady() {
        assertThat(pipeline.stages()).extracting(dev.firebreak.stage.Stage::name)
                .containsExactly("killswitch", "detection", "ingest");
        // a rebalance (a Streams thread replaced) would make detection not ready for a moment
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(pipeline.health()).isEqualTo(dev.firebreak.stage.Health.up()));
    }

    @Test
    void autocommitBurstIsLockedOutAfterTheThirdTableAndTheRestSurvive() throws Exception {
        RogueAgent rogue = scenario.prepare("rogue_auto", "shop", TABLES, 50);
        DemoReport report = scenario.run(rogue, "rogue_auto", "shop", RogueAgent.Mode.AUTOCOMMIT, TABLES, RATE);

        assertThat(report.revoked()).isTrue();
        // The third drop trips the rule; it may even be rolled back if the kill lands before its commit.
        assertThat(report.tablesDropped()).isBetween(2, 3);
        assertThat(report.tablesKept()).isEqualTo(TABLES - report.tablesDropped());
        assertThat(report.reconnect()).contains("not permitted to log in");
        assertThatThrownBy(() -> stack.postgres().connect("rogue_auto", "rogue-" + "rogue_auto".hashCode()).close())
                .isInstanceOf(SQLException.class).hasMessageContaining("not permitted to log in");
        assertThat(rowsIn("shop", TABLES)).isEqualTo(50);
    }

    @Test
    void transactionBurstIsKilledBeforeCommitAndEveryTableIsStillThere() throws Exception {
        RogueAgent rogue = scenario.prepare("rogue_txn", "billing", TABLES, 50);
        DemoReport report = scenario.run(rogue, "rogue_txn", "billing", RogueAgent.Mode.TRANSACTION, TABLES, RATE);

        assertThat(report.revoked()).isTrue();
        assertThat(report.tablesDropped()).isZero();
        assertThat(report.tablesKept()).isEqualTo(TABLES);
        assertThat(rowsIn("billing", 1)).isEqualTo(50);
    }

    @Test
    void oneCascadeStatementIsRefusedByTheGuardAndTheRoleIsLockedOut() throws Exception {
        RogueAgent rogue = scenario.prepare("rogue_casc", "ledger", TABLES, 50);
        DemoReport report = scenario.run(rogue, "rogue_casc", "ledger", RogueAgent.Mode.CASCADE, TABLES, RATE);

        assertThat(report.tablesDropped()).isZero();
        assertThat(report.tablesKept()).isEqualTo(TABLES);
        assertThat(report.revoked()).as("the refused statement counts like the drops it would have been").isTrue();
        assertThat(rowsIn("ledger", 1)).isEqualTo(50);
    }

    @Test
    void roleNameWithQuotesAndSemicolonsIsRevoked() throws Exception {
        String role = "evil\"; DROP ROLE postgres; --";
        RogueAgent rogue = scenario.prepare(role, "weird", 6, 5);
        DemoReport report = scenario.run(rogue, role, "weird", RogueAgent.Mode.AUTOCOMMIT, 6, RATE);

        assertThat(report.revoked()).isTrue();
        assertThat(report.tablesKept()).isGreaterThanOrEqualTo(3);
        try (Connection c = stack.postgres().superuserConnection();
             PreparedStatement st = c.prepareStatement("SELECT rolcanlogin FROM pg_roles WHERE rolname = ?")) {
            st.setString(1, "postgres");
            try (ResultSet rs = st.executeQuery()) {
                assertThat(rs.next()).as("postgres role still exists").isTrue();
                assertThat(rs.getBoolean(1)).isTrue();
            }
        }
    }

    @Test
    void protectedRoleRaisesACriticalAlertAndIsNotRevoked() throws Exception {
        RogueAgent migrator = scenario.prepare(PROTECTED, "legacy", 5, 5);
        RogueAgent.Run run = migrator.run(RogueAgent.Mode.AUTOCOMMIT, 5, 20.0, d -> { });

        String principal = "pg:" + CLUSTER + "/" + PROTECTED;
        var result = watcher.awaitResult(principal, Duration.ofSeconds(20));
        assertThat(result).hasValueSatisfying(r -> assertThat(r.getOutcome()).isEqualTo(RevocationOutcome.REFUSED_PROTECTED));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                watcher.alertsFor(principal).stream().anyMatch(a -> a.getKind() == AlertKind.REVOCATION_REFUSED));
        Alert refused = watcher.alertsFor(principal).stream()
                .filter(a -> a.getKind() == AlertKind.REVOCATION_REFUSED).findFirst().orElseThrow();
        assertThat(refused.getSeverity()).isEqualTo(Severity.CRITICAL);
        // never revoked, but still guarded inside PostgreSQL: past three drops a second it is refused
        assertThat(run.drops()).filteredOn(RogueAgent.Drop::ok).hasSizeLessThanOrEqualTo(3);
        assertThat(run.drops()).filteredOn(d -> !d.ok()).allMatch(RogueAgent.Drop::refusedByGuard);
        assertThat(run.reconnect()).isEqualTo("accepted");
    }

    private static int rowsIn(String schema, int tableNumber) throws SQLException {
        try (Connection c = stack.postgres().superuserConnection(); var st = c.createStatement();
             ResultSet rs = st.executeQuery(String.format("SELECT count(*) FROM \"%s\".t%03d", schema, tableNumber))) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
