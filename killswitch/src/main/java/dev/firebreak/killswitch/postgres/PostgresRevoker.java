package dev.firebreak.killswitch.postgres;

import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.Principal;
import dev.firebreak.killswitch.Revocation;
import dev.firebreak.killswitch.Revoker;
import dev.firebreak.killswitch.RevokeRequest;
import dev.firebreak.killswitch.ReinstateRequest;
import dev.firebreak.schema.RevocationOutcome;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locks PostgreSQL roles of one cluster ({@code pg:<cluster>/<role>}) and ends their sessions.
 *
 * <p>Latency is the point, so the revoker keeps one warm connection with prepared statements and
 * needs two round trips, in this order:
 * <ol>
 *   <li>{@code firebreak.killswitch_lock}, installed at start: protection check, previous state,
 *       {@code ALTER ROLE ... NOLOGIN} (and {@code pg.revoke.connect}). The connection is in autocommit,
 *       so when the call returns the lock is committed and visible to every other session;</li>
 *   <li>{@code pg_terminate_backend(pid)} for every session of the role, found with a fresh look at
 *       {@code pg_stat_activity}.</li>
 * </ol>
 * Lock before terminate, because the in-database guard refuses a role's destructive statements by
 * reading the committed {@code pg_roles.rolcanlogin}: had the sessions been terminated inside the
 * locking transaction, a sibling session would go on destroying, unrefused, until the commit. A
 * PL/pgSQL function cannot commit halfway (a procedure could, but not with the {@code SET search_path}
 * that keeps the function safe), hence two statements. The one exception: when the role's own pg_authid
 * row is held by an open transaction (a session that changed its own password), the lock waits 20 ms,
 * then ends the role's sessions that have a transaction id, since only they can hold it, and locks.
 * After the second step the revoker polls {@code pg_stat_activity} (autocommit, so every poll sees fresh
 * activity) until no session of the role is left, terminating logins that raced the lock, or the
 * confirm timeout passes.
 *
 * <p>Role names are never spliced into SQL: they travel as bind parameters and the function quotes
 * them with {@code format('%I')}, so {@code evil"; DROP ROLE postgres; --} is just a name.
 *
 * <p>The connecting role needs CREATEROLE with ADMIN OPTION on the roles it may lock, and
 * {@code pg_signal_backend}; superuser is neither needed nor recommended. It needs CREATE on the
 * database the first time (to create schema {@code firebreak}), or an operator installs the function.
 *
 * <p>Roles created a moment ago: ADMIN OPTION is granted per role, by {@code install-killswitch-role}
 * or by {@code firebreak local}'s granter every second, so a role may start its burst before the kill
 * switch may lock it. The lock function then changes nothing and answers {@code MISSING_PRIVILEGE},
 * which becomes {@link Revocation#retryableUntilDeadline}: the kill switch retries until the command's
 * deadline, and the role is locked as soon as the grant lands; without one it is FAILED at the deadline,
 * naming the missing privilege. Sessions are not terminated while waiting, since they could log in
 * again at once and it would break lock-first. No lock path without the per-role grant keeps least
 * privilege: a {@code SECURITY DEFINER} lock function owned by a superuser would make the function's own
 * code the only boundary between the kill switch and superuser power; PostgreSQL has no default grant
 * for roles other roles create later, and no event trigger fires on {@code CREATE ROLE}.
 */
public final class PostgresRevoker implements Revoker {
    /** The {@link Revoker#kind()} of PostgreSQL roles. */
    public static final String KIND = "postgres";
    private static final Logger log = LoggerFactory.getLogger(PostgresRevoker.class);

    /** Creates the lock function; SECURITY INVOKER, so it can do no more than the kill switch's role. */
    private static final String CREATE_FUNCTION = KillSwitchSql.load("killswitch_lock.sql");
    /** Creates the restore function, which puts back what the lock function recorded in previous_state. */
    private static final String CREATE_RESTORE = KillSwitchSql.load("killswitch_restore.sql");
    /** Body of the lock function; compared with the installed one so restarts replace nothing. */
    static final String FUNCTION_BODY = KillSwitchSql.functionBody(CREATE_FUNCTION);
    /** Body of the restore function, compared likewise. */
    static final String RESTORE_BODY = KillSwitchSql.functionBody(CREATE_RESTORE);

    private static final String FUNCTION_SIGNATURE = "firebreak.killswitch_lock(text,integer[],text[],boolean,boolean)";
    private static final String RESTORE_SIGNATURE = "firebreak.killswitch_restore(text,jsonb,boolean)";
    private static final String CREATE_SCHEMA = KillSwitchSql.load("create_schema.sql");
    private static final String INSTALLED_BODY = KillSwitchSql.load("installed_body.sql");
    private static final String LOCK = KillSwitchSql.load("lock.sql");
    private static final String RESTORE = KillSwitchSql.load("restore.sql");
    private static final String PRIVILEGES = KillSwitchSql.load("privileges.sql");
    private static final String SESSIONS = KillSwitchSql.load("sessions.sql");
    private static final String STARTING = KillSwitchSql.load("starting.sql");
    /** Every session of the role, each with whether the signal was sent; run only after the lock committed. */
    private static final String TERMINATE_ALL = KillSwitchSql.load("terminate_all.sql");
    private static final String TERMINATE = KillSwitchSql.load("terminate.sql");
    private static final String BACKEND_PID = KillSwitchSql.load("backend_pid.sql");
    /** Between polls while sessions are still exiting; far below the latency budget. */
    private static final long CONFIRM_POLL_NANOS = 200_000;
    /** Between polls while only watching for late registrations. */
    private static final long SETTLE_POLL_NANOS = 1_000_000;

    private final String cluster;
    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final String[] protectedRoles;
    private final Duration confirmTimeout;
    private final Duration settle;
    private final boolean revokeConnect;
    /**
     * Previous states recorded by attempts of a command that later lost the connection, keyed by
     * command id and role: the retry finds the role already locked and must still report what it
     * was before, or reinstate would restore the locked state.
     */
    private final Map<String, String> recordedStates = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > 1_000;
        }
    };
    private Connection connection;
    /** The last heartbeat failure logged, so that each is logged once, not every beat. */
    private String beatFailure;
    private PreparedStatement restore;
    private PreparedStatement lock;
    private PreparedStatement sessions;
    private PreparedStatement starting;
    private PreparedStatement terminate;
    private PreparedStatement terminateAll;

    /** SQLSTATE undefined_function: {@code firebreak.beat} is not installed (yet). */
    private static final String UNDEFINED_FUNCTION = "42883";
    private static final String BEAT = KillSwitchSql.load("beat.sql");

    private PostgresRevoker(KillSwitchConfig config, KillSwitchConfig.PgCluster target) {
        this.cluster = target.name();
        this.jdbcUrl = target.jdbcUrl();
        this.user = target.user();
        this.password = target.password();
        this.protectedRoles = config.protectedRoles().toArray(String[]::new);
        this.confirmTimeout = config.confirmTimeout();
        this.settle = config.settle();
        this.revokeConnect = config.revokeConnect();
    }

    /**
     * Connects, installs the server-side function if it is missing or differs, prepares and warms the
     * statements. Fails start-up if the cluster cannot be reached.
     */
    public static PostgresRevoker open(KillSwitchConfig config) {
        return open(config, config.pgClusters().get(0));
    }

    /**
     * As {@link #open(KillSwitchConfig)} for one of the configured clusters ({@link KillSwitchConfig#pgClusters()}):
     * its own connection, function install and prepared statements; the shared settings (protected roles,
     * timeouts, {@code pg.revoke.connect}) from {@code config}.
     */
    public static PostgresRevoker open(KillSwitchConfig config, KillSwitchConfig.PgCluster cluster) {
        PostgresRevoker revoker = new PostgresRevoker(config, cluster);
        try {
            revoker.connect();
        } catch (SQLException e) {
            revoker.close();
            throw new IllegalStateException("kill switch cannot prepare PostgreSQL cluster " + cluster.name()
                    + " as " + cluster.user() + ": " + e.getMessage(), e);
        }
        return revoker;
    }

    @Override
    public boolean handles(Principal target) {
        return Principal.POSTGRES.equals(target.namespace()) && cluster.equals(target.scope());
    }

    @Override
    public String describe() {
        return Principal.prefix(Principal.POSTGRES) + cluster + "/*";
    }

    /** Backend pid of the revoker's connection, or -1 when disconnected; for operators and tests. */
    public synchronized int backendPid() {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(BACKEND_PID)) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public synchronized Revocation revoke(Principal target, RevokeRequest request) {
        List<Integer> backendPids = request.backendPids();
        boolean dryRun = request.dryRun();
        if (!handles(target)) {
            return Revocation.failed("not a role of cluster " + cluster + ": " + target);
        }
        Progress progress = new Progress(request.commandId() + "\u0000" + target.name());
        progress.previousState = recordedStates.get(progress.key);
        for (int attempt = 1; ; attempt++) {
            try {
                if (connection == null || connection.isClosed()) {
                    connect();
                }
                return attempt(target.name(), backendPids, dryRun, progress);
            } catch (SQLException e) {
                boolean lost = connectionLost(e);
                if (attempt == 1 && lost) {
                    // Idempotent, so retrying is safe; what the first attempt already did is kept in progress.
                    log.warn("kill switch lost its connection to {} ({}, SQLSTATE {}); reconnecting once",
                            cluster, e.getMessage(), e.getSQLState());
                    closeConnection();
                    continue;
                }
                if (progress.previousState != null) {
                    recordedStates.put(progress.key, progress.previousState);
                }
                String locked = progress.lockedByUs ? " (the role was set NOLOGIN before the error)" : "";
                String detail = "PostgreSQL error while revoking " + target + locked + ": "
                        + e.getMessage() + " (SQLSTATE " + e.getSQLState() + ")";
                // Unreachable cluster: the kill switch retries until the deadline; anything else will not improve.
                return new Revocation(RevocationOutcome.FAILED, detail, List.copyOf(progress.terminated), Micros.now(),
                        progress.previousState, lost);
            }
        }
    }

    @Override
    public synchronized Revocation reinstate(Principal target, ReinstateRequest request) {
        if (!handles(target)) {
            return Revocation.failed("not a role of cluster " + cluster + ": " + target);
        }
        try {
            if (connection == null || connection.isClosed()) {
                connect();
            }
            restore.setString(1, target.name());
            restore.setString(2, request.previousState());
            restore.setBoolean(3, request.dryRun());
            try (ResultSet rs = restore.executeQuery()) {
                rs.next();
                String status = rs.getString(1);
                boolean nowLogin = rs.getBoolean(2);
                String detail = rs.getString(3);
                return switch (status) {
                    case "NOT_FOUND" -> Revocation.failed("role does not exist in cluster " + cluster);
                    case "BAD_STATE" -> Revocation.failed(detail);
                    case "DRY_RUN" -> Revocation.of(RevocationOutcome.DRY_RUN, "dry run, nothing changed: " + detail);
                    case "REINSTATED" -> Revocation.of(RevocationOutcome.REINSTATED, "restored " + request.previousState()
                            + ": role is " + (nowLogin ? "LOGIN" : "NOLOGIN") + " again");
                    default -> Revocation.failed("unexpected answer from firebreak.killswitch_restore: " + status);
                };
            }
        } catch (SQLException e) {
            boolean lost = connectionLost(e);
            if (lost) {
                closeConnection();
            }
            String detail = "PostgreSQL error while reinstating " + target + ": " + e.getMessage()
                    + " (SQLSTATE " + e.getSQLState() + ")";
            return lost ? Revocation.retryable(detail) : Revocation.failed(detail);
        }
    }

    /**
     * What the connected role lacks, by name: CREATEROLE, membership in pg_signal_backend, ADMIN OPTION
     * on each login role it may have to lock (PostgreSQL 16+ lets CREATEROLE alter only roles it
     * administers), and, with {@code pg.revoke.connect}, ownership rights on each database. A superuser
     * lacks nothing, but is logged as a warning at start-up: least privilege is the installed role.
     */
    @Override
    public synchronized List<String> missingPrivileges() {
        return missingPrivileges(connection);
    }

    private List<String> missingPrivileges(Connection on) {
        List<String> missing = new ArrayList<>();
        try (PreparedStatement ps = on.prepareStatement(PRIVILEGES)) {
            ps.setArray(1, on.createArrayOf("text", protectedRoles));
            ps.setBoolean(2, revokeConnect);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    missing.add(rs.getString(1));
                }
            }
        } catch (SQLException | RuntimeException e) {
            missing.add("could not check privileges: " + e.getMessage());
        }
        return missing;
    }

    private Revocation attempt(String role, List<Integer> backendPids, boolean dryRun, Progress progress) throws SQLException {
        String status;
        String detail;
        List<Integer> ignored;
        lock.setString(1, role);
        lock.setArray(2, connection.createArrayOf("int4", backendPids.toArray()));
        lock.setArray(3, connection.createArrayOf("text", protectedRoles));
        lock.setBoolean(4, dryRun);
        lock.setBoolean(5, revokeConnect);
        long callNanos = System.nanoTime();
        // Autocommit: when this returns, NOLOGIN is committed and every other session sees it.
        try (ResultSet rs = lock.executeQuery()) {
            rs.next();
            status = rs.getString(1);
            progress.lockedByUs |= rs.getBoolean(2) && "REVOKED".equals(status); // was_login and went ahead
            progress.terminated.addAll(ints(rs.getArray(3))); // only holders of the role's row, see the function
            ignored = ints(rs.getArray(4));
            detail = rs.getString(5);
            progress.connectLeft = strings(rs.getArray(7));
            String previous = rs.getString(8);
            // The first attempt's record wins: a retry sees the role already locked.
            if (progress.previousState == null && "REVOKED".equals(status)) {
                progress.previousState = previous;
            }
        }
        long lockedAtNanos = System.nanoTime();
        progress.lockCallNanos = lockedAtNanos - callNanos;
        switch (status) {
            case "NOT_FOUND":
                return Revocation.failed("role does not exist in cluster " + cluster + ignoredNote(ignored));
            case "PROTECTED":
                return new Revocation(RevocationOutcome.REFUSED_PROTECTED, "refused, nothing changed: " + detail,
                        List.of(), Micros.now());
            case "DRY_RUN":
                return new Revocation(RevocationOutcome.DRY_RUN, "dry run, nothing changed: " + detail + ignoredNote(ignored),
                        List.of(), Micros.now());
            case "MISSING_PRIVILEGE":
                return Revocation.retryableUntilDeadline("missing privilege: " + detail + " (not granted yet to " + user
                        + "; install-killswitch-role grants it, `local` within a second), nothing changed");
            case "REVOKED":
            case "ALREADY_REVOKED":
                List<Integer> sessions = terminateAll(role, progress.terminated);
                progress.terminateCallNanos = System.nanoTime() - lockedAtNanos;
                List<Integer> notTheRoles = backendPids.stream()
                        .filter(p -> !sessions.contains(p) && !progress.terminated.contains(p)).distinct().sorted().toList();
                return confirm(role, progress, lockedAtNanos, ignoredNote(notTheRoles));
            default:
                return Revocation.failed("unexpected answer from firebreak.killswitch_lock: " + status);
        }
    }

    private static String ignoredNote(List<Integer> ignored) {
        return ignored.isEmpty() ? "" : "; event pid(s) " + ignored + " were not sessions of the role, left alone";
    }

    /**
     * Signals every session of the role, after the lock committed, and records those signalled in
     * {@code ended}. Returns every session seen, so event pids that were none of them can be reported.
     */
    private List<Integer> terminateAll(String role, Set<Integer> ended) throws SQLException {
        terminateAll.setString(1, role);
        List<Integer> seen = new ArrayList<>();
        try (ResultSet rs = terminateAll.executeQuery()) {
            while (rs.next()) {
                seen.add(rs.getInt(1));
                if (rs.getBoolean(2)) {
                    ended.add(rs.getInt(1));
                }
            }
        }
        return seen;
    }

    /** Polls until no session of the role is left (and none shows up late), or the timeout passes. */
    private Revocation confirm(String role, Progress progress, long lockedAtNanos, String ignoredNote) throws SQLException {
        long deadline = lockedAtNanos + confirmTimeout.toNanos();
        // A backend checks rolcanlogin early in InitPostgres but only appears in pg_stat_activity at
        // its end (pgstat_bestart), so a login that passed the check just before our ALTER committed
        // can surface after the first empty poll: those starting up are followed below, and `settle`
        // after locking the role is a margin on top.
        long settleEnd = progress.lockedByUs ? lockedAtNanos + settle.toNanos() : lockedAtNanos;
        long confirmedAtMicros = 0;
        long confirmedAtNanos = 0;
        int polls = 0;
        // No wait can be long enough for a login descheduled between its rolcanlogin check and
        // showing in pg_stat_activity, so the backends starting up when the lock had committed are
        // followed until each shows there (and is judged by its role) or is gone.
        Set<Integer> startingUp = null;
        while (true) {
            Set<Integer> inTransaction = startingUp == null || !startingUp.isEmpty() ? inTransaction() : Set.of();
            Backends seen = backends(role);
            if (startingUp == null) {
                startingUp = new HashSet<>(inTransaction);
                startingUp.removeAll(seen.all());
            } else {
                startingUp.removeIf(p -> seen.all().contains(p) || !inTransaction.contains(p));
            }
            List<Integer> alive = seen.ofRole();
            polls++;
            long now = System.nanoTime();
            if (alive.isEmpty() && startingUp.isEmpty()) {
                if (confirmedAtMicros == 0) {
                    confirmedAtMicros = Micros.now();
                    confirmedAtNanos = now;
                }
                if (now - settleEnd >= 0) {
                    break;
                }
                LockSupport.parkNanos(SETTLE_POLL_NANOS);
                continue;
            }
            confirmedAtMicros = 0;
            if (alive.isEmpty()) {
                if (now - deadline >= 0) {
                    return new Revocation(RevocationOutcome.FAILED, (progress.lockedByUs ? "role set NOLOGIN and " : "")
                            + "its sessions ended, but backend(s) " + startingUp + " that were starting up when the role"
                            + " was locked, of a role not known yet, were still starting " + confirmTimeout.toMillis()
                            + " ms later", List.copyOf(progress.terminated), Micros.now());
                }
                LockSupport.parkNanos(CONFIRM_POLL_NANOS);
                continue;
            }
            List<Integer> stragglers = alive.stream().filter(p -> !progress.terminated.contains(p)).toList();
            if (!stragglers.isEmpty()) {
                List<Integer> ended = terminateSessions(role, stragglers);
                log.info("kill switch terminated late session(s) {} of a role being revoked", ended);
                progress.terminated.addAll(ended);
            }
            if (now - deadline >= 0) {
                return new Revocation(RevocationOutcome.FAILED, (progress.lockedByUs ? "role set NOLOGIN but " : "")
                        + "session(s) " + alive + " still present " + confirmTimeout.toMillis() + " ms after termination",
                        List.copyOf(progress.terminated), Micros.now());
            }
            LockSupport.parkNanos(CONFIRM_POLL_NANOS);
        }
        List<Integer> terminated = List.copyOf(progress.terminated);
        String timing = String.format(Locale.ROOT, " (lock call %.2f ms, terminate call %.2f ms, gone %.2f ms after the lock,"
                + " %d polls)", progress.lockCallNanos / 1e6, progress.terminateCallNanos / 1e6,
                (confirmedAtNanos - lockedAtNanos) / 1e6, polls);
        recordedStates.remove(progress.key);
        if (!progress.connectLeft.isEmpty()) {
            return new Revocation(RevocationOutcome.FAILED, "role locked and sessions gone, but CONNECT on "
                    + progress.connectLeft + " could not be revoked: the kill switch role must be a member of those"
                    + " databases' owners (or turn off pg.revoke.connect)" + timing, terminated, confirmedAtMicros,
                    progress.previousState, false);
        }
        if (progress.previousState == null && !terminated.isEmpty()) {
            // Late sessions of a role that was already locked: ending them is this command's change.
            progress.previousState = "{\"login\": false, \"connect\": []}";
        }
        if (progress.previousState == null) {
            return new Revocation(RevocationOutcome.ALREADY_REVOKED,
                    "role was already NOLOGIN with no sessions, nothing to do" + ignoredNote, terminated, confirmedAtMicros);
        }
        return new Revocation(RevocationOutcome.REVOKED, (progress.lockedByUs ? "role set NOLOGIN" : "role was already NOLOGIN")
                + ", terminated " + terminated + ", no session left" + timing + ignoredNote, terminated, confirmedAtMicros,
                progress.previousState, false);
    }

    /** Every other backend pg_stat_activity shows, and those of them that are sessions of the role. */
    private record Backends(Set<Integer> all, List<Integer> ofRole) {
    }

    private Backends backends(String role) throws SQLException {
        sessions.setString(1, role);
        Set<Integer> all = new HashSet<>();
        List<Integer> ofRole = new ArrayList<>();
        try (ResultSet rs = sessions.executeQuery()) {
            while (rs.next()) {
                all.add(rs.getInt(1));
                if (rs.getBoolean(2)) {
                    ofRole.add(rs.getInt(1));
                }
            }
        }
        return new Backends(all, ofRole);
    }

    /** Backends inside a transaction, a login's start-up among them; read before {@link #backends}. */
    private Set<Integer> inTransaction() throws SQLException {
        Set<Integer> pids = new HashSet<>();
        try (ResultSet rs = starting.executeQuery()) {
            while (rs.next()) {
                pids.add(rs.getInt(1));
            }
        }
        return pids;
    }

    private List<Integer> terminateSessions(String role, List<Integer> pids) throws SQLException {
        terminate.setString(1, role);
        terminate.setArray(2, connection.createArrayOf("int4", pids.toArray()));
        List<Integer> ended = new ArrayList<>();
        try (ResultSet rs = terminate.executeQuery()) {
            while (rs.next()) {
                if (rs.getBoolean(2)) {
                    ended.add(rs.getInt(1));
                }
            }
        }
        return ended;
    }

    private void connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", "firebreak-killswitch");
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("connectTimeout", "5");
        // Named server-side statements from the first execution: no parse/plan on the hot path.
        props.setProperty("prepareThreshold", "1");
        // A revocation stuck behind a lock must fail (and alert), not hang the kill switch.
        props.setProperty("options", "-c statement_timeout=" + confirmTimeout.toMillis());
        connection = DriverManager.getConnection(jdbcUrl, props);
        try {
            connection.setAutoCommit(true);
            installOrExplain();
            lock = connection.prepareStatement(LOCK);
            restore = connection.prepareStatement(RESTORE);
            sessions = connection.prepareStatement(SESSIONS);
            starting = connection.prepareStatement(STARTING);
            terminate = connection.prepareStatement(TERMINATE);
            terminateAll = connection.prepareStatement(TERMINATE_ALL);
            // Warm-up: compiles the PL/pgSQL function in this backend and prepares every statement.
            // The empty string is never a role name, so nothing is touched.
            warmUp();
        } catch (SQLException | RuntimeException e) {
            closeConnection(); // never leave a half-prepared connection behind for the next command
            throw e;
        }
        log.info("kill switch connected to cluster {} as {} (backend pid {})", cluster, user, backendPid());
    }

    private void warmUp() throws SQLException {
        lock.setString(1, "");
        lock.setArray(2, connection.createArrayOf("int4", new Integer[0]));
        lock.setArray(3, connection.createArrayOf("text", protectedRoles));
        lock.setBoolean(4, true);
        lock.setBoolean(5, revokeConnect);
        lock.executeQuery().close();
        restore.setString(1, "");
        restore.setString(2, "{}");
        restore.setBoolean(3, true);
        restore.executeQuery().close();
        inTransaction();
        backends("");
        terminateSessions("", List.of());
        terminateAll("", new LinkedHashSet<>());
    }

    /** Installs the functions; when that is refused, the error names every missing privilege. */
    private void installOrExplain() throws SQLException {
        try {
            install();
        } catch (SQLException e) {
            List<String> missing = missingPrivileges(connection);
            throw new SQLException(e.getMessage() + "; missing privileges of " + user + ": "
                    + (missing.isEmpty() ? "none found by the check" : missing)
                    + " (and USAGE, CREATE on schema firebreak; see the role installer)", e.getSQLState(), e);
        }
    }

    private void install() throws SQLException {
        boolean lockCurrent = installed(FUNCTION_SIGNATURE, FUNCTION_BODY);
        boolean restoreCurrent = installed(RESTORE_SIGNATURE, RESTORE_BODY);
        if (lockCurrent && restoreCurrent) {
            return;
        }
        try (Statement st = connection.createStatement()) {
            st.execute(CREATE_SCHEMA);
            if (!lockCurrent) {
                st.execute(CREATE_FUNCTION);
            }
            if (!restoreCurrent) {
                st.execute(CREATE_RESTORE);
            }
        }
        log.info("kill switch installed {} and {} on cluster {}", FUNCTION_SIGNATURE, RESTORE_SIGNATURE, cluster);
    }

    private boolean installed(String signature, String body) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(INSTALLED_BODY)) {
            ps.setString(1, signature);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && body.equals(rs.getString(1));
            }
        }
    }

    private boolean connectionLost(SQLException e) {
        String state = e.getSQLState();
        try {
            return connection == null || connection.isClosed() || (state != null
                    && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")));
        } catch (SQLException ignored) {
            return true;
        }
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }

    private static List<Integer> ints(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((Integer[]) array.getArray());
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("closing a broken kill switch connection failed", e);
            }
            connection = null;
        }
    }

    /**
     * Beats {@code firebreak.heartbeat} for component {@code killswitch} over the warm connection
     * (reconnecting when it was lost): strict mode, when it requires the kill switch, refuses guarded
     * roles' destructive statements once this beat is stale. Needs EXECUTE on
     * {@code firebreak.beat(text, text)}, granted by Firebreak's V4 and by {@link KillSwitchRoleInstaller}.
     */
    @Override
    public synchronized void heartbeat() {
        try {
            if (connection == null) {
                connect();
            }
            try (PreparedStatement ps = connection.prepareStatement(BEAT)) {
                ps.setString(1, "consuming commands");
                ps.execute();
            }
            if (beatFailure != null) {
                log.info("kill switch heartbeat on cluster {} restored", cluster);
                beatFailure = null;
            }
        } catch (SQLException e) {
            if (connectionLost(e)) {
                closeConnection();
            }
            String why = String.valueOf(e.getMessage());
            if (!why.equals(beatFailure)) {
                if (UNDEFINED_FUNCTION.equals(e.getSQLState())) {
                    // The kill switch may start before ingest installed the capture objects (V4).
                    log.info("kill switch heartbeat on cluster {} waits for firebreak.beat, which ingest installs", cluster);
                } else {
                    log.warn("kill switch heartbeat on cluster {} failed: {}; strict mode, when it requires the kill switch, "
                            + "refuses guarded roles' destructive statements once the beat is stale", cluster, why);
                }
                beatFailure = why;
            }
        }
    }

    @Override
    public synchronized void close() {
        closeConnection();
    }

    /** What one revocation has done so far; survives a reconnect so the retry reports the truth. */
    private static final class Progress {
        final String key;
        boolean lockedByUs;
        String previousState;
        List<String> connectLeft = List.of();
        long lockCallNanos;
        long terminateCallNanos;
        final Set<Integer> terminated = new LinkedHashSet<>();

        Progress(String key) {
            this.key = key;
        }
    }
}
