package dev.firebreak.ingest.postgres;

import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.agent.AgentActionTableInstaller;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.ingest.guard.GuardPolicyInstaller;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What capture puts into the watched database (and Kafka) before the engine streams: the capture
 * objects (versioned SQL, {@link TriggerInstaller}) with the guard policy compiled in, the agent
 * action table, the row-image tables and their topics. Also applies later guard policy edits.
 */
final class CaptureSetup {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureSetup.class);

    private final IngestConfig config;
    private final CaptureDatabase database;
    private final GuardPolicyInstaller guard;
    private final AgentActionConfig agentActions;
    private final RowImages rowImages;
    private final CaptureTopics topics;
    private final AtomicReference<GuardPolicy> guardPolicy;
    private final AtomicInteger unguardable = new AtomicInteger();
    private final AtomicInteger guardRules = new AtomicInteger();

    CaptureSetup(IngestConfig config, CaptureDatabase database, GuardConfig guard, GuardPolicy guardPolicy,
                 AgentActionConfig agentActions, RowImages rowImages, CaptureTopics topics, MeterRegistry meters) {
        this.config = config;
        this.database = database;
        this.guard = new GuardPolicyInstaller(guard, config.cluster());
        this.guardPolicy = new AtomicReference<>(guardPolicy);
        this.agentActions = agentActions;
        this.rowImages = rowImages;
        this.topics = topics;
        Gauge.builder("firebreak_guard_unguardable_superusers", unguardable, AtomicInteger::get)
                .description("Superuser login roles the guard cannot judge, other than those expected (guard.expected.superusers)")
                .register(meters);
        Gauge.builder("firebreak_guard_rules", guardRules, AtomicInteger::get)
                .description("Guard rules in force in the watched database")
                .register(meters);
    }

    /**
     * Installs, in this order: the capture objects and guard policy (when configured), the agent action
     * table (it joins the publication the capture objects made), the row-image tables and topics.
     */
    void install() {
        if (config.installTriggers()) {
            installCaptureObjects();
        }
        installAgentActionTable();
        installRowImages();
    }

    /**
     * Compiles a new guard policy into the database (a rule edit): sessions keep running and see it
     * from their next statement.
     */
    void applyGuardPolicy(GuardPolicy policy) {
        try (Connection c = database.open()) {
            guardRules.set(guard.apply(c, policy));
            guardPolicy.set(policy);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot apply the guard policy to " + database.name() + ": " + e.getMessage(), e);
        }
    }

    private void installCaptureObjects() {
        try (Connection c = database.open()) {
            TriggerInstaller.forConfig(config).install(c);
            guardRules.set(guard.apply(c, guardPolicy.get()));
            TriggerInstaller.setRoutineCapture(c, config.dmlRoutine());
            // the mode and the guard's threshold decide which tables need the UPDATE gate
            for (String problem : TriggerInstaller.scopeUpdateGates(c, true).problems()) {
                LOG.warn("{}; the integrity sweep retries", problem);
            }
            unguardable.set(guard.unguardableSuperusers(c).size());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot install Firebreak's capture objects into " + database.name()
                    + ": " + e.getMessage(), e);
        }
    }

    // After the capture objects (the publication must exist), before the slot streams: rows
    // inserted from here on are published.
    private void installAgentActionTable() {
        if (!agentActions.tableEnabled() || !agentActions.tableInstall()) {
            return;
        }
        try (Connection c = database.open()) {
            new AgentActionTableInstaller(config.publication()).install(c);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot install the agent action table into " + database.name()
                    + ": " + e.getMessage(), e);
        }
    }

    private void installRowImages() {
        if (!rowImages.enabled()) {
            return;
        }
        try (Connection c = database.open()) {
            rowImages.install(c, config.publication());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare the row-image tables " + config.rowImageTables() + ": "
                    + e.getMessage(), e);
        }
        topics.createRowImageTopics(rowImages.topics());
    }
}
