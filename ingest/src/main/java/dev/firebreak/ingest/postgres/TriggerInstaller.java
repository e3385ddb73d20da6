package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.IngestConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs Firebreak's capture objects (schema {@code firebreak}, the emit function, the event
 * triggers, the statement-level DML triggers, the publication) into a watched database, and can
 * remove them all again. Scripts are versioned; each runs once, in its own transaction, and is
 * written so that running it again changes nothing.
 *
 * <p>Which tables carry the DML triggers is configuration ({@link DmlScope}): every install
 * writes it into the database, where the {@code ddl_command_end} trigger reads it for tables
 * created later, and then adds or removes triggers table by table until the database matches it.
 */
public final class TriggerInstaller {
    /** The scripts in order; the version is the number after V. */
    static final List<String> SCRIPTS = List.of("V1__audit_capture.sql", "V2__dml_capture.sql",
            "V3__trusted_capture_and_guard.sql", "V4__strict_mode.sql", "V5__routine_dml_summary.sql",
            "V6__blast_radius.sql", "V7__gated_routine_update.sql", "V8__update_gate_switch.sql",
            "V9__update_gate_functions.sql", "V10__update_gate_scope.sql", "V11__update_gate_own_path.sql");
    static final String UNINSTALL_SCRIPT = "uninstall.sql";
    private static final String SET_UPDATE_GATE = "set_update_gate.sql";
    private static final Logger LOG = LoggerFactory.getLogger(TriggerInstaller.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    /**
     * Adding or removing a trigger takes a SHARE ROW EXCLUSIVE lock; behind a long transaction on a
     * busy table the installer gives up on that table (the next install retries) instead of queueing
     * every writer of the table behind itself.
     */
    private static final String LOCK_TIMEOUT = "2s";
    /**
     * Marks the installer's transaction, so that its own trigger changes are neither reported nor
     * refused as tampering; the trigger functions honour the mark only from a superuser.
     */
    private static final String INSTALLING = "SET LOCAL firebreak.installing = 'on'";

    private final Map<String, String> placeholders;
    private final DmlScope dml;
    private final boolean updateGated;

    /**
     * Which tables carry the statement-level DELETE/UPDATE/TRUNCATE triggers.
     *
     * @param enabled         false: no table does, and triggers installed earlier are removed
     * @param excludedSchemas schemas whose tables get none, as the catalog spells them
     * @param excludedTables  tables that get none, as {@code schema.table}
     */
    public record DmlScope(boolean enabled, List<String> excludedSchemas, List<String> excludedTables) {
        /** Every table of every non-system schema: the default. */
        public static final DmlScope ALL_TABLES = new DmlScope(true, List.of(), List.of());

        public DmlScope {
            excludedSchemas = List.copyOf(excludedSchemas);
            excludedTables = List.copyOf(excludedTables);
            for (String table : excludedTables) {
                int dot = table.indexOf('.');
                if (dot <= 0 || dot == table.length() - 1 || table.indexOf('.', dot + 1) >= 0) {
                    throw new IllegalArgumentException("excluded table '" + table + "' must be schema.table");
                }
            }
        }
    }

    /** What one reconciliation of the DML triggers did. */
    public record WatchSummary(int watched, int unwatched, int failed) {
    }

    /**
     * What one pass over the UPDATE gates did.
     *
     * @param gated    tables that got the gate
     * @param ungated  tables that lost it
     * @param problems one line per table that needs the gate and could not be given it now (lock
     *                 timeout, or a role that may not manage the DML scope), for the integrity report
     */
    public record GateSummary(int gated, int ungated, List<String> problems) {
        public GateSummary {
            problems = List.copyOf(problems);
        }
    }

    /** Installs with DML capture on every table ({@link DmlScope#ALL_TABLES}). */
    public TriggerInstaller(String messagePrefix, String publication, int statementMaxChars) {
        this(messagePrefix, publication, statementMaxChars, DmlScope.ALL_TABLES);
    }

    /**
     * @param messagePrefix prefix of every logical decoding message Firebreak emits
     * @param publication   name of the (initially empty) pgoutput publication
     * @param statementMaxChars statements longer than this are truncated in events
     * @param dml           which tables carry the statement-level DML triggers
     */
    public TriggerInstaller(String messagePrefix, String publication, int statementMaxChars, DmlScope dml) {
        this(messagePrefix, publication, statementMaxChars, dml, true);
    }

    /**
     * @param updateGated whether UPDATEs carry the two gate triggers ({@link IngestConfig#dmlUpdateGated()});
     *                    false removes them from every table
     */
    public TriggerInstaller(String messagePrefix, String publication, int statementMaxChars, DmlScope dml, boolean updateGated) {
        if (!PREFIX.matcher(messagePrefix).matches()) {
            throw new IllegalArgumentException("message prefix '" + messagePrefix + "' must match " + PREFIX);
        }
        if (!IDENTIFIER.matcher(publication).matches()) {
            throw new IllegalArgumentException("publication '" + publication + "' must be a lower-case identifier matching " + IDENTIFIER);
        }
        if (statementMaxChars < 16 || statementMaxChars > 1_000_000) {
            throw new IllegalArgumentException("statement max chars must be in 16..1000000, was " + statementMaxChars);
        }
        this.placeholders = Map.of(
                "message_prefix", messagePrefix,
                "publication", publication,
                "statement_max_chars", Integer.toString(statementMaxChars));
        this.dml = dml;
        this.updateGated = updateGated;
    }

    /** An installer with every setting, DML scope included, taken from the ingest configuration. */
    public static TriggerInstaller forConfig(IngestConfig config) {
        return new TriggerInstaller(config.messagePrefix(), config.publication(), config.statementMaxChars(),
                new DmlScope(config.dmlEnabled(), config.dmlExcludeSchemas(), config.dmlExcludeTables()),
                config.dmlUpdateGated());
    }

    /**
     * Brings the database to the newest version, writes the DML scope into it and puts the DML
     * triggers where the scope wants them (removing them elsewhere); returns the versions applied now.
     */
    public List<Integer> install(Connection connection) throws SQLException {
        int installed = installedVersion(connection);
        List<Integer> applied = new ArrayList<>();
        for (String script : SCRIPTS) {
            int version = versionOf(script);
            if (version > installed) {
                apply(connection, script);
                applied.add(version);
            }
        }
        LOG.info("Firebreak capture schema at version {} (applied now: {})", Math.max(installed, latestVersion()), applied);
        if (mayManageDmlScope(connection)) {
            writeDmlScope(connection);
            setUpdateGate(connection);
            watchTables(connection);
            scopeUpdateGates(connection, false);
        } else {
            // A runtime role that did not install Firebreak: the stored scope and the triggers stay as
            // the installing role left them, and new tables are still watched by the event trigger.
            LOG.warn("role {} may not change Firebreak's DML scope; DML triggers left as installed",
                    connection.getMetaData().getUserName());
        }
        return applied;
    }

    /**
     * Adds the DML triggers to every table the stored scope wants and removes them from every other
     * one, one short transaction per table. A table that cannot be changed now (lock timeout, no
     * privilege) is logged and left for the next run.
     */
    public WatchSummary watchTables(Connection connection) throws SQLException {
        List<PlannedChange> plan = plan(connection);
        boolean quiet = canSilenceEventTriggers(connection);
        int watched = 0;
        int unwatched = 0;
        int failed = 0;
        for (PlannedChange change : plan) {
            try {
                inTransaction(connection, c -> applyChange(c, change, quiet));
                if (change.watch()) {
                    watched++;
                } else {
                    unwatched++;
                    LOG.info("DML capture removed from {}", change.table());
                }
            } catch (SQLException e) {
                failed++;
                LOG.warn("DML capture not {} on {}: {}", change.watch() ? "installed" : "removed", change.table(), e.getMessage());
            }
        }
        WatchSummary summary = new WatchSummary(watched, unwatched, failed);
        LOG.info("DML capture {}: {} tables newly watched, {} unwatched, {} failed",
                dml.enabled() ? "enabled" : "disabled", watched, unwatched, failed);
        return summary;
    }

    /**
     * Removes everything {@link #install} created: the DML triggers on every table, the event
     * triggers, the publication and schema {@code firebreak} with its functions and tables. EXECUTE
     * on {@code pg_logical_emit_message} goes back to PUBLIC when the server granted it initially.
     * The replication slot stays: it belongs to the capture engine. One transaction; a later
     * {@link #install} starts from scratch.
     */
    public void uninstall(Connection connection) throws SQLException {
        inTransaction(connection, c -> {
            try (Statement st = c.createStatement()) {
                st.execute(render(load(UNINSTALL_SCRIPT)));
            }
        });
        LOG.info("Firebreak capture objects removed (publication {})", placeholders.get("publication"));
    }

    /**
     * Sets how routine DELETE/UPDATE statements are captured ({@code statement} or {@code summary},
     * see {@link IngestConfig#dmlRoutine()}); summary is refused unless pg_stat_statements is loaded.
     */
    public static void setRoutineCapture(Connection connection, String mode) throws SQLException {
        inTransaction(connection, c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT firebreak.set_routine_capture(?)")) {
                st.setString(1, mode);
                st.execute();
            }
        });
        LOG.info("routine DELETE/UPDATE captured by {}", mode);
    }

    /** Before the reconciliation, which then adds the UPDATE triggers wherever the gate is on and they lack. */
    private void setUpdateGate(Connection connection) throws SQLException {
        int[] removed = new int[1];
        inTransaction(connection, c -> {
            try (PreparedStatement st = c.prepareStatement(load(SET_UPDATE_GATE))) {
                st.setBoolean(1, updateGated);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    removed[0] = rs.getInt(1);
                }
            }
        });
        if (updateGated) {
            LOG.info("UPDATEs gated: a large one is emitted and judged before it commits");
        } else {
            LOG.info("UPDATEs ungated (dml.update.gated=false): reported by the routine DML summary after commit, no guard"
                    + " refuses one; {} UPDATE trigger(s) removed", removed[0]);
        }
    }

    /** The highest version installed, 0 when none. */
    public static int installedVersion(Connection connection) throws SQLException {
        DatabaseMetaData meta = connection.getMetaData();
        try (ResultSet tables = meta.getTables(null, "firebreak", "schema_version", null)) {
            if (!tables.next()) {
                return 0;
            }
        }
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM firebreak.schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static int latestVersion() {
        return versionOf(SCRIPTS.get(SCRIPTS.size() - 1));
    }

    private void apply(Connection connection, String script) throws SQLException {
        String sql = render(load(script));
        try {
            inTransaction(connection, c -> {
                try (Statement st = c.createStatement()) {
                    st.execute(INSTALLING);
                    st.execute(sql);
                }
            });
            LOG.info("applied {}", script);
        } catch (SQLException e) {
            throw new SQLException("installing " + script + " failed: " + e.getMessage(), e.getSQLState(), e);
        }
    }

    /** Replaces the stored scope with this installer's: the configuration is the only source. */
    private void writeDmlScope(Connection connection) throws SQLException {
        inTransaction(connection, c -> {
            try (PreparedStatement setting = c.prepareStatement(
                    "INSERT INTO firebreak.setting (name, value) VALUES ('dml.enabled', ?) "
                            + "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
                 Statement clear = c.createStatement();
                 PreparedStatement exclude = c.prepareStatement(
                         "INSERT INTO firebreak.watch_exclusion (schema_name, table_name) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                setting.setString(1, Boolean.toString(dml.enabled()));
                setting.executeUpdate();
                clear.executeUpdate("DELETE FROM firebreak.watch_exclusion");
                for (String schema : dml.excludedSchemas()) {
                    addExclusion(exclude, schema, null);
                }
                for (String table : dml.excludedTables()) {
                    int dot = table.indexOf('.');
                    addExclusion(exclude, table.substring(0, dot), table.substring(dot + 1));
                }
                exclude.executeBatch();
            }
        });
    }

    private static void addExclusion(PreparedStatement exclude, String schema, String table) throws SQLException {
        exclude.setString(1, schema);
        exclude.setString(2, table);
        exclude.addBatch();
    }

    private static List<PlannedChange> plan(Connection connection) throws SQLException {
        List<PlannedChange> plan = new ArrayList<>();
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT rel::oid, rel::text, watch FROM firebreak.watch_plan()")) {
            while (rs.next()) {
                plan.add(new PlannedChange(rs.getLong(1), rs.getString(2), rs.getBoolean(3)));
            }
        }
        return plan;
    }

    private static void applyChange(Connection connection, PlannedChange change, boolean quiet) throws SQLException {
        prepareChange(connection, quiet);
        String function = change.watch() ? "watch_table" : "unwatch_table";
        call(connection, function, change.oid());
    }

    private static void prepareChange(Connection connection, boolean quiet) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT + "'");
            st.execute(INSTALLING);
            if (quiet) {
                // Event triggers do not fire in replica mode: the installer's own CREATE/DROP TRIGGER
                // would otherwise reach the audit stream as DROP TRIGGER events counted as drops.
                // SET LOCAL: only this transaction; everyone else's DDL is still captured.
                st.execute("SET LOCAL session_replication_role = replica");
            }
        }
    }

    private static void call(Connection connection, String function, long table) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement("SELECT firebreak." + function + "(?::oid::regclass)")) {
            st.setLong(1, table);
            st.execute();
        }
    }

    /**
     * Puts the UPDATE gate where an UPDATE could now reach its threshold ({@code
     * firebreak.update_gate_plan()}: the table grew, or the mode or the threshold moved) and, when
     * {@code remove}, takes it off tables where none could, one short transaction per table. Ingest's
     * integrity sweep only adds; the installer also removes, after the routine capture mode is set.
     * A role that may not manage the DML scope changes nothing; every table that needs the gate and
     * did not get it is returned as a problem.
     */
    public static GateSummary scopeUpdateGates(Connection connection, boolean remove) throws SQLException {
        List<PlannedChange> plan = new ArrayList<>();
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT rel::oid, rel::text, gate FROM firebreak.update_gate_plan()")) {
            while (rs.next()) {
                if (remove || rs.getBoolean(3)) {
                    plan.add(new PlannedChange(rs.getLong(1), rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        List<String> problems = new ArrayList<>();
        if (plan.isEmpty()) {
            return new GateSummary(0, 0, problems);
        }
        if (!mayManageDmlScope(connection)) {
            String role = connection.getMetaData().getUserName();
            plan.stream().filter(PlannedChange::watch).forEach(change -> problems.add(
                    change.table() + " lacks the UPDATE gate it needs, and role " + role + " may not add it"));
            return new GateSummary(0, 0, problems);
        }
        boolean quiet = canSilenceEventTriggers(connection);
        int gated = 0;
        int ungated = 0;
        for (PlannedChange change : plan) {
            try {
                inTransaction(connection, c -> {
                    prepareChange(c, quiet);
                    call(c, change.watch() ? "watch_table" : "ungate_table", change.oid());
                });
                if (change.watch()) {
                    gated++;
                    LOG.info("UPDATE gate added to {}: it holds enough rows for one UPDATE to be judged", change.table());
                } else {
                    ungated++;
                    LOG.info("UPDATE gate removed from {}: it holds too few rows for any UPDATE to be judged", change.table());
                }
            } catch (SQLException e) {
                // a gate not added is the caller's to report (the sweep would repeat it every few seconds)
                if (change.watch()) {
                    problems.add(change.table() + " lacks the UPDATE gate it needs: " + e.getMessage());
                } else {
                    LOG.warn("UPDATE gate not removed from {}: {}", change.table(), e.getMessage());
                }
            }
        }
        return new GateSummary(gated, ungated, problems);
    }

    private static boolean mayManageDmlScope(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT has_table_privilege('firebreak.setting', 'INSERT') "
                     + "AND has_table_privilege('firebreak.setting', 'UPDATE') "
                     + "AND has_table_privilege('firebreak.watch_exclusion', 'INSERT') "
                     + "AND has_table_privilege('firebreak.watch_exclusion', 'DELETE')")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    // Only superusers (or roles granted SET on it) may change session_replication_role.
    private static boolean canSilenceEventTriggers(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT has_parameter_privilege('session_replication_role', 'SET')")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static void inTransaction(Connection connection, SqlWork work) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
            work.run(connection);
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    String render(String template) {
        String sql = template;
        for (var entry : placeholders.entrySet()) {
            sql = sql.replace("${" + entry.getKey() + "}", entry.getValue());
        }
        return sql;
    }

    private static String load(String script) {
        try (InputStream in = TriggerInstaller.class.getResourceAsStream(script)) {
            if (in == null) {
                throw new IllegalStateException("script " + script + " missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int versionOf(String script) {
        return Integer.parseInt(script.substring(1, script.indexOf("__")));
    }

    /** One table whose DML triggers must be added ({@code watch}) or removed. */
    private record PlannedChange(long oid, String table, boolean watch) {
    }

    @FunctionalInterface
    private interface SqlWork {
        void run(Connection connection) throws SQLException;
    }
}
