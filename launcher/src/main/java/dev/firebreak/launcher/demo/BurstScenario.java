package dev.firebreak.launcher.demo;

import dev.firebreak.schema.Principal;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.stack.EmbeddedPostgres17;
import dev.firebreak.stack.PostgresService;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * One rogue run against the running pipeline, and the verdict an operator would check afterwards:
 * how many tables are gone, whether the role can still log in or has sessions, and how long the
 * pipeline took from the triggering statement to the role being locked out.
 */
public final class BurstScenario {
    private final PostgresService postgres;
    private final OutcomeWatcher watcher;
    private final String cluster;
    private final Timeline timeline;

    public BurstScenario(PostgresService postgres, OutcomeWatcher watcher, String cluster, Timeline timeline) {
        this.postgres = postgres;
        this.watcher = watcher;
        this.cluster = cluster;
        this.timeline = timeline;
    }

    /** Creates the role and its tables. */
    public RogueAgent prepare(String role, String schema, int tables, int rows) throws SQLException {
        RogueAgent agent = new RogueAgent(postgres.jdbcUrl(), role, "rogue-" + role.hashCode(), schema);
        try (Connection admin = postgres.superuserConnection()) {
            agent.prepare(admin, tables, rows);
        }
        timeline.event("setup", "role " + role + " owns " + tables + " tables of " + rows + " rows in schema " + schema);
        return agent;
    }

    /** Runs the rogue and reports. */
    public DemoReport run(RogueAgent agent, String role, String schema, RogueAgent.Mode mode, int tables,
                          double perSecond) throws SQLException {
        String verb = mode == RogueAgent.Mode.CASCADE ? "DROP SCHEMA ... CASCADE of " : "DROP TABLE ";
        timeline.event(role, mode == RogueAgent.Mode.CASCADE ? "drops its whole schema in one statement, " + tables + " tables"
                : "starts dropping tables, " + perSecond + "/s, " + mode.label());
        RogueAgent.Run run = agent.run(mode, tables, perSecond, drop -> timeline.event(role, drop.ok()
                ? verb + drop.table() + (mode == RogueAgent.Mode.TRANSACTION ? "  ok (transaction open)" : "  ok, committed")
                : drop.refusedByGuard()
                ? verb + drop.table() + "  REFUSED inside PostgreSQL by the guard (SQLSTATE " + drop.sqlState()
                        + "), rolled back: " + drop.error()
                : verb + drop.table() + "  FAILED: " + drop.error()));
        timeline.event(role, mode == RogueAgent.Mode.TRANSACTION
                ? (run.committed() ? "COMMIT succeeded" : "transaction never committed: rolled back")
                : mode == RogueAgent.Mode.CASCADE ? (run.statementsAccepted() == 0 ? "nothing dropped" : "schema dropped")
                : "stopped after " + run.statementsAccepted() + " statements");
        String principal = Principal.postgres(cluster, role).format();
        String reconnect = run.reconnect();
        Optional<RevocationResult> result;
        if (mode == RogueAgent.Mode.CASCADE) {
            // refused at once, inside PostgreSQL; the lock-out follows the refusal through the pipeline
            result = watcher.awaitResult(principal, Duration.ofSeconds(10));
            reconnect = agent.tryReconnect();
            timeline.event(role, "tries to log in again: " + reconnect);
        } else {
            timeline.event(role, "tries to log in again: " + reconnect);
            result = watcher.awaitResult(principal, Duration.ofSeconds(10));
        }
        int kept = countTables(schema);
        boolean revoked = result.map(r -> r.getOutcome() == RevocationOutcome.REVOKED
                || r.getOutcome() == RevocationOutcome.ALREADY_REVOKED).orElse(false) && lockedOut(role);
        Double latency = result.filter(r -> r.getOutcome() == RevocationOutcome.REVOKED)
                .map(r -> (r.getCompletedTimeUs() - r.getTriggerEventTimeUs()) / 1000.0).orElse(null);
        // the alert of the burst that revoked: same id as the command (baselines alert on their own)
        DemoReport.Hops hops = result.flatMap(r -> watcher.alertsFor(principal).stream()
                        .filter(a -> a.getKind() == AlertKind.RULE_TRIGGERED && a.getAlertId().equals(r.getCommandId()))
                        .findFirst()
                        .map(a -> new DemoReport.Hops(
                                (a.getCreatedTimeUs() - a.getTriggerEventTimeUs()) / 1000.0,
                                (r.getStartedTimeUs() - a.getCreatedTimeUs()) / 1000.0,
                                (r.getCompletedTimeUs() - r.getStartedTimeUs()) / 1000.0)))
                .orElse(null);
        return new DemoReport(mode.label(), role, tables, tables - kept, kept, revoked, latency, reconnect, hops);
    }

    int countTables(String schema) throws SQLException {
        try (Connection c = postgres.superuserConnection();
             PreparedStatement st = c.prepareStatement("SELECT count(*) FROM pg_tables WHERE schemaname = ?")) {
            st.setString(1, schema);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** True when the role cannot log in and has no session left. */
    boolean lockedOut(String role) throws SQLException {
        try (Connection c = postgres.superuserConnection();
             PreparedStatement st = c.prepareStatement("""
                     SELECT NOT r.rolcanlogin AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.usename = r.rolname)
                     FROM pg_roles r WHERE r.rolname = ?""")) {
            st.setString(1, role);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
