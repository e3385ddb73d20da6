package dev.firebreak.launcher.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.firebreak.launcher.Lifecycle;
import dev.firebreak.launcher.StackOptions;
import dev.firebreak.launcher.demo.Timeline;
import dev.firebreak.stack.PostgresService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What capture costs the database it watches, measured side by side in one cluster: pgbench's
 * TPS on the watched database (Firebreak's triggers installed, the pipeline reading it) against an
 * unwatched twin, in alternating rounds and in rounds that load both at the same time, with
 * {@code synchronous_commit} on and off; the pipeline
 * JVM's CPU idle, at a paced 2,000 UPDATEs per second and under pgbench; PostgreSQL's CPU per
 * transaction (the slot's walsender, the run's backends, the rest of the server), with the watched
 * database run once per {@code --pgss-track} value to tell pg_stat_statements' share (and, with
 * {@code -ungated} and {@code -allgated}, the UPDATE gate triggers' share); the backend's CPU per
 * single-row UPDATE in server-side loops and per one-UPDATE transaction sent by one client; and
 * the DROP TABLE capture latency. Figures, never assertions. Exits 0 when every run completed, 1
 * otherwise.
 */
@Command(name = "capture-cost-bench", mixinStandardHelpOptions = true,
        description = "Start the embedded stack and pipeline, load a watched and an unwatched database with pgbench in "
                + "alternating rounds and at the same time (synchronous_commit on and off) and print their TPS and ratio, the pipeline JVM's "
                + "CPU (idle, paced UPDATEs, under pgbench), PostgreSQL's CPU per transaction (walsender, backends), the "
                + "backend's CPU per gated UPDATE (server-side loops, one-UPDATE client transactions) and the DROP TABLE capture "
                + "latency. "
                + "Exit code 1 when a pgbench run or a latency sample failed or the timeout cut the run.")
public final class CaptureCostBenchCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureCostBenchCommand.class);
    /** The pipeline's ingest reads the stack's default database, so that one is the watched database. */
    static final String WATCHED = PostgresService.DATABASE;
    /** Same cluster, same server settings, nothing of Firebreak's installed. */
    static final String UNWATCHED = "bench_unwatched";
    private static final List<String> SYNCHRONOUS_COMMIT = List.of("on", "off");
    private static final List<String> SERVER_SETTINGS = List.of("server_version", "wal_level", "fsync", "synchronous_commit",
            "full_page_writes", "wal_sync_method", "shared_buffers", "wal_writer_delay", "wal_buffers", "max_wal_size",
            "commit_delay");

    @Mixin
    StackOptions stackOptions;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--rounds", defaultValue = "3",
            description = "Rounds per synchronous_commit setting; a round is one watched and one unwatched run (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--paired-rounds", defaultValue = "3",
            description = "Rounds per synchronous_commit setting in which the watched database (once per --pgss-track value) "
                    + "and the unwatched twin run pgbench at the same time, each with --clients and --threads: what drifts on "
                    + "the machine then falls on both alike; 0 skips them (default ${DEFAULT-VALUE}).")
    int pairedRounds;

    @Option(names = "--warmup-seconds", defaultValue = "10",
            description = "pgbench on each database before the rounds, not counted: the first run otherwise also pays for "
                    + "the pipeline catching up and for cold caches; 0 skips it (default ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--seconds", defaultValue = "15", description = "Length of one pgbench run, -T (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--clients", defaultValue = "4", description = "pgbench clients, -c (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--threads", defaultValue = "2", description = "pgbench threads, -j; at most --clients (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--scale", defaultValue = "5", description = "pgbench scale factor of both databases, -i -s (default ${DEFAULT-VALUE}).")
    int scale;

    @Option(names = "--idle-seconds", defaultValue = "10", description = "How long the pipeline's idle CPU is measured (default ${DEFAULT-VALUE}).")
    int idleSeconds;

    @Option(names = "--paced-rate", defaultValue = "2000",
            description = "Single-row UPDATEs per second of the paced load on the watched database (default ${DEFAULT-VALUE}).")
    int pacedRate;

    @Option(names = "--paced-seconds", defaultValue = "10", description = "Length of the paced load (default ${DEFAULT-VALUE}).")
    int pacedSeconds;

    @Option(names = "--loop-transactions", defaultValue = "5000",
            description = "Transactions of pgbench's three single-row UPDATEs per server-side loop (a DO block, no client "
                    + "in between), timed per UPDATE in each database; 0 skips the loops (default ${DEFAULT-VALUE}).")
    int loopTransactions;

    @Option(names = "--loop-runs", defaultValue = "5",
            description = "Server-side loops per database, alternating between them (default ${DEFAULT-VALUE}).")
    int loopRuns;

    @Option(names = "--client-update-runs", defaultValue = "3",
            description = "pgbench runs per database of one single-row UPDATE per transaction from one client (-c 1; the "
                    + "backend's CPU per transaction from /proc), alternating between the databases; 0 skips them "
                    + "(default ${DEFAULT-VALUE}).")
    int clientUpdateRuns;

    @Option(names = "--client-update-seconds", defaultValue = "8",
            description = "Length of each of those runs (default ${DEFAULT-VALUE}).")
    int clientUpdateSeconds;

    @Option(names = "--drops", defaultValue = "200", description = "Counted DROP TABLE latency samples (default ${DEFAULT-VALUE}).")
    int drops;

    @Option(names = "--drop-warmup", defaultValue = "20", description = "DROP TABLE samples run first and not counted (default ${DEFAULT-VALUE}).")
    int dropWarmup;

    @Option(names = "--pgbench", defaultValue = "/usr/bin/pgbench", description = "The pgbench executable (default ${DEFAULT-VALUE}).")
    Path pgbenchPath;

    @Option(names = "--routine", defaultValue = "summary",
            description = "How ingest captures routine DELETE/UPDATE statements (firebreak.ingest.dml.routine): "
                    + "statement or summary (default ${DEFAULT-VALUE}); a --set of that key wins.")
    String routine;

    @Option(names = "--pgss-track", split = ",", paramLabel = "all|top|none[-noutility][-ungated|-allgated]",
            description = "pg_stat_statements.track of the watched database, with -noutility also track_utility=off, "
                    + "with -ungated without the UPDATE gate triggers (as firebreak.ingest.dml.update.gated=false does), "
                    + "with -allgated with them on every table, small ones too (as before V10 and in statement mode); "
                    + "several, comma-separated, run the watched database once per value in every round, side by side "
                    + "(default: all with --routine summary, which reads it; none with statement; -ungated where "
                    + "firebreak.ingest.dml.update.gated=false). top leaves statements "
                    + "inside functions and triggers uncounted and none every statement, so routine DML is then summarised "
                    + "in part or not at all: for measuring only.")
    List<String> pgssTrack;

    @Option(names = "--json", description = "Also print the summary as one JSON line.")
    boolean json;

    @Option(names = "--timeout-s", defaultValue = "600",
            description = Deadline.TIMEOUT_OPTION_DESCRIPTION)
    long timeoutSeconds;

    // The DDL roles of the drop samples take turns, each dropping at most once per spacing, so none
    // nears the drop-burst rule (3 tables in 1 s) and the samples measure capture, not revocation.
    private static final int DROP_ROLES = 32;
    private static final Duration DROP_SPACING = Duration.ofMillis(600);
    private static final Duration DROP_SAMPLE_TIMEOUT = Duration.ofSeconds(10);
    private static final String PACED_SYNCHRONOUS_COMMIT = "off";
    private static final String ROUTINE_KEY = "firebreak.ingest.dml.routine";
    /** UPDATEs of the built-in pgbench script, each a captured statement on the watched database. */
    private static final int CAPTURED_PER_TRANSACTION = 3;

    /**
     * A --pgss-track value: pg_stat_statements.track, "-noutility" for track_utility=off, "-ungated"
     * for the watched tables without the UPDATE gate triggers during the run, "-allgated" with them
     * on every table.
     */
    private static final Pattern PGSS_TRACK = Pattern.compile("(all|top|none)(-noutility)?(-ungated|-allgated)?");

    /**
     * One pgbench run, the JVM's CPU, PostgreSQL's CPU (null when the server's processes cannot be
     * read from here) and the cluster's WAL counters during it.
     *
     * @param pgssTrack the database's pg_stat_statements.track during the run
     */
    record Run(String database, String pgssTrack, Pgbench.Result pgbench, JvmCpu.Usage cpu, PostgresCpu.Usage pg, WalStats wal) {
        /** {@code counter} per transaction pgbench processed; NaN when it printed no count. */
        double perTransaction(ToLongFunction<WalStats> counter) {
            long transactions = pgbench.transactions();
            return transactions > 0 ? (double) counter.applyAsLong(wal) / transactions : Double.NaN;
        }

        /** PostgreSQL's CPU per transaction, ms, of one part; NaN when not measured. */
        double pgMsPerTransaction(ToDoubleFunction<PostgresCpu.Usage> part) {
            return pg == null ? Double.NaN : PostgresCpu.Usage.msPer(part.applyAsDouble(pg), pgbench.transactions());
        }

        /** CPU per transaction of PostgreSQL and the pgbench client together, ms; NaN when not measured. */
        double totalMsPerTransaction() {
            return pgMsPerTransaction(u -> u.server() + u.loadClient());
        }

        /** PostgreSQL's cores during the run; NaN when not measured. */
        double pgCores() {
            return pg == null ? Double.NaN : pg.cores(pg.server());
        }
    }

    /**
     * The watched runs (one per {@code --pgss-track} value) and one unwatched run back to back;
     * {@code watchedFirst} alternates between rounds.
     */
    record Round(String synchronousCommit, int number, boolean watchedFirst, List<Run> watchedRuns, Run unwatched) {
        /** The run with the first --pgss-track value, the bench's default. */
        Run watched() {
            return watchedRuns.get(0);
        }

        double ratio() {
            return ratio(0);
        }

        /** TPS of the watched run with the {@code variant}-th --pgss-track value over the unwatched run's. */
        double ratio(int variant) {
            return watchedRuns.get(variant).pgbench().tps() / unwatched.pgbench().tps();
        }

        /**
         * The JVM's CPU per captured statement, in ms, above what it used while the unwatched twin
         * ran: that run saw the same contention for the two cores with nothing to capture, a fairer
         * baseline than idle, when the pipeline's polling loops get a core to themselves.
         */
        double jvmMsPerCapturedStatement() {
            return perStatementMs(watched().cpu().cores(), unwatched.cpu().cores(),
                    watched().pgbench().tps() * CAPTURED_PER_TRANSACTION);
        }
    }

    /**
     * The watched database, with one {@code --pgss-track} value, and the unwatched twin loaded at the
     * same time, each by its own pgbench, and this JVM's CPU meanwhile.
     */
    record Pair(String synchronousCommit, int number, String pgssTrack, Pgbench.Result watched, Pgbench.Result unwatched,
                JvmCpu.Usage cpu) {
        /** TPS of the watched database over the unwatched twin's in the same seconds. */
        double ratio() {
            return watched.tps() / unwatched.tps();
        }
    }

    /** Everything measured; a part the deadline cut is null or shorter than planned. */
    private record Outcome(Map<String, String> server, String pgbenchVersion, JvmCpu.Usage idle, PacedUpdates.Result paced,
                           JvmCpu.Usage pacedCpu, PathResult drop, List<GuardLatency.Sample> guard,
                           Map<String, List<Double>> loops, Map<String, List<Double>> clientUpdates, List<Round> rounds,
                           List<Pair> pairs, List<String> problems) {
    }

    /** A named column of the per-database tables: the watched database per --pgss-track value, then the unwatched one. */
    private record Series(String label, Function<Round, Run> run) {
    }

    /** The pg_stat_statements.track values the watched database runs with, in order. */
    private List<String> watchedTracks = List.of();

    @Override
    public Integer call() throws Exception {
        validate();
        stackOptions.defaultSetting(ROUTINE_KEY, routine);
        BenchRun run = BenchRun.start(timeoutSeconds);
        Deadline deadline = run.deadline();
        try (Lifecycle lifecycle = new Lifecycle()) {
            PipelineRig rig = PipelineRig.start(lifecycle, stackOptions, run.progress());
            // summary mode reads pg_stat_statements and needs track=all (nested statements too); statement mode does not
            watchedTracks = pgssTrack == null || pgssTrack.isEmpty()
                    ? List.of((rig.settings().ingest().routineSummarized() ? "all" : "none")
                            + (rig.settings().ingest().dmlUpdateGated() ? "" : "-ungated"))
                    : List.copyOf(pgssTrack);
            Outcome outcome = measure(rig, deadline, run.progress());
            print(outcome, rig, deadline, run.elapsedSeconds());
            if (json) {
                System.out.println(toJson(outcome, rig.settings().ingest().pollIntervalMs()));
            }
            boolean complete = outcome.problems().isEmpty() && outcome.rounds().size() == rounds * SYNCHRONOUS_COMMIT.size()
                    && outcome.pairs().size() == pairedRounds * SYNCHRONOUS_COMMIT.size() * watchedTracks.size();
            return complete && !deadline.passed() ? 0 : 1;
        }
    }

    private void validate() {
        if (!Files.isExecutable(pgbenchPath)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pgbench: " + pgbenchPath + " is not executable");
        }
        if (rounds < 1 || pairedRounds < 0 || warmupSeconds < 0 || seconds < 1 || clients < 1 || threads < 1 || scale < 1
                || idleSeconds < 1 || pacedRate < 1 || pacedSeconds < 1 || drops < 1 || dropWarmup < 0 || timeoutSeconds < 1 || loopTransactions < 0 || loopRuns < 1
                || clientUpdateRuns < 0 || clientUpdateSeconds < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "counts, rates and durations must be positive "
                    + "(--paired-rounds, --warmup-seconds, --drop-warmup, --loop-transactions and --client-update-runs may be 0)");
        }
        if (threads > clients) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must not exceed --clients (pgbench refuses it)");
        }
        if (pgssTrack != null) {
            for (String track : pgssTrack) {
                if (!PGSS_TRACK.matcher(track).matches()) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--pgss-track: " + track + " is none of "
                            + "all, top, none, each optionally followed by -noutility and then -ungated or -allgated");
                }
            }
            if (pgssTrack.stream().distinct().count() < pgssTrack.size()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--pgss-track: a value appears twice");
            }
        }
        if (pacedRate > 1_000_000_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--paced-rate: at most one statement per nanosecond");
        }
    }

    private Outcome measure(PipelineRig rig, Deadline deadline, Timeline progress) throws Exception {
        PostgresService postgres = rig.stack().postgres();
        Pgbench pgbench = new Pgbench(pgbenchPath, postgres);
        List<String> problems = new ArrayList<>();
        try (Connection admin = postgres.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE DATABASE " + UNWATCHED);
            // pg_stat_statements is loaded cluster-wide; only a database whose routine DML is
            // summarised should pay for its tracking, so the baseline does not
            st.execute("ALTER DATABASE " + UNWATCHED + " SET pg_stat_statements.track = 'none'");
            setPgssTrack(st, WATCHED, watchedTracks.get(0));
            // The load runs as an ordinary role, which the guard judges (a superuser it never could).
            st.execute("CREATE ROLE " + Pgbench.APP_ROLE + " LOGIN PASSWORD '" + Pgbench.APP_PASSWORD + "'");
        }
        for (String database : List.of(WATCHED, UNWATCHED)) {
            progress.event("bench", "pgbench -i -s " + scale + " " + database);
            Pgbench.Result init = pgbench.initialize(database, scale, deadline.cap(Duration.ofMinutes(5)));
            if (init.exitCode() != 0) {
                throw new IllegalStateException("pgbench -i on " + database + " failed: " + init.problem() + "\n" + init.output());
            }
            try (Connection c = connect(postgres, database); Statement st = c.createStatement()) {
                st.execute("ALTER TABLE pgbench_accounts OWNER TO " + Pgbench.APP_ROLE);
                st.execute("ALTER TABLE pgbench_branches OWNER TO " + Pgbench.APP_ROLE);
                st.execute("ALTER TABLE pgbench_tellers OWNER TO " + Pgbench.APP_ROLE);
                st.execute("ALTER TABLE pgbench_history OWNER TO " + Pgbench.APP_ROLE);
            }
        }
        problems.addAll(checkWatching(postgres));
        Map<String, String> server = serverSettings(postgres);

        PathResult drop = dropLatency(rig, deadline, progress);
        if (drop.missed() + drop.failed() > 0 || drop.cut()) {
            problems.add("DROP TABLE latency: " + drop.missed() + " missed, " + drop.failed() + " failed"
                    + (drop.cut() ? ", cut by the timeout" : "") + (drop.firstError() == null ? "" : "; first: " + drop.firstError()));
        }

        List<GuardLatency.Sample> guard = List.of();
        if (!deadline.passed()) {
            progress.event("bench", "per-statement latency as the guarded role " + Pgbench.APP_ROLE + ", both databases");
            guard = GuardLatency.measure(postgres, WATCHED, UNWATCHED, Pgbench.APP_ROLE, Pgbench.APP_PASSWORD, 25, 5);
        }
        // The bench's own event consumer is closed by now: from here on this JVM's CPU is the pipeline's.
        JvmCpu.Usage idle = null;
        PacedUpdates.Result paced = null;
        JvmCpu.Usage pacedCpu = null;
        if (!deadline.passed()) {
            progress.event("bench", "idle: " + idleSeconds + " s without load");
            JvmCpu cpu = JvmCpu.start();
            Thread.sleep(idleSeconds * 1000L);
            idle = cpu.stop();
        }
        if (!deadline.passed()) {
            progress.event("bench", "paced: " + pacedRate + " single-row UPDATEs/s on " + WATCHED + " for " + pacedSeconds + " s");
            try (Connection c = postgres.superuserConnection(); Statement st = c.createStatement()) {
                // Off for this session only, so that one connection's commit fsyncs do not cap it far below
                // the target: the events are the same, and what flushes inside the trigger still waits.
                st.execute("SET synchronous_commit = " + PACED_SYNCHRONOUS_COMMIT);
                JvmCpu cpu = JvmCpu.start();
                paced = PacedUpdates.run(c, "pgbench_accounts", "aid", "abalance", scale * 100_000, pacedRate,
                        Duration.ofSeconds(pacedSeconds));
                pacedCpu = cpu.stop();
            }
        }
        Map<String, List<Double>> loops = loopTransactions == 0 || deadline.passed() ? Map.of() : updateLoops(postgres, progress);
        Map<String, List<Double>> clientUpdates = clientUpdateRuns == 0 || deadline.passed() ? Map.of()
                : clientUpdates(pgbench, postgres, progress, problems);
        if (!deadline.passed()) {
            vacuumBoth(postgres, progress);
        }
        warmUp(pgbench, postgres, deadline, progress, problems);
        List<Round> done = runRounds(pgbench, postgres, deadline, progress, problems);
        List<Pair> pairs = runPairs(pgbench, postgres, deadline, progress, problems);
        return new Outcome(server, pgbench.version(), idle, paced, pacedCpu, drop, guard, loops, clientUpdates, done, pairs,
                problems);
    }

    /**
     * Microseconds of backend CPU per client transaction of one single-row UPDATE, per watched
     * variant and for the unwatched twin, the databases taking turns. One client, so the run's only
     * session is pgbench's, and every transaction sets the gate's PL/pgSQL expressions up again.
     */
    private Map<String, List<Double>> clientUpdates(Pgbench pgbench, PostgresService postgres, Timeline progress,
                                                    List<String> problems) throws Exception {
        Path script = ClientUpdate.scriptFile();
        Map<String, String> variables = Map.of(ClientUpdate.ACCOUNTS_VARIABLE, Integer.toString(scale * 100_000));
        progress.event("bench", String.format(Locale.ROOT, "client transactions: %d x %d s of one UPDATE per transaction per database",
                clientUpdateRuns, clientUpdateSeconds));
        try (Connection stats = postgres.superuserConnection()) {
            PostgresCpu pgCpu = PostgresCpu.locate(postgres, stats).orElse(null);
            if (pgCpu == null) {
                problems.add("PostgreSQL's processes cannot be read from /proc here (a container?): no client-transaction figures");
                return Map.of();
            }
            return inTurns(stats, clientUpdateRuns,
                    (database, track) -> clientUpdateMicros(pgbench, stats, pgCpu, database, track, script, variables, problems));
        }
    }

    /** One run's backend CPU per transaction, µs; NaN (and a problem) when pgbench did not finish. */
    private double clientUpdateMicros(Pgbench pgbench, Connection stats, PostgresCpu pgCpu, String database, String track,
                                      Path script, Map<String, String> variables, List<String> problems) throws Exception {
        Run run = measure(stats, pgCpu, database, track,
                () -> pgbench.runScript(database, script, variables, 1, 1, clientUpdateSeconds, PACED_SYNCHRONOUS_COMMIT));
        if (!run.pgbench().complete()) {
            problems.add("client transactions on " + database + ": " + run.pgbench().problem());
            return Double.NaN;
        }
        return run.pgMsPerTransaction(PostgresCpu.Usage::endedBackends) * 1000;
    }

    private static void addMeasured(Map<String, List<Double>> perDatabase, String key, double value) {
        List<Double> values = perDatabase.computeIfAbsent(key, k -> new ArrayList<>());
        if (!Double.isNaN(value)) {
            values.add(value);
        }
    }

    /**
     * Microseconds per single-row UPDATE in server-side loops, per watched variant (keyed by its
     * --pgss-track value) and for the unwatched twin (keyed {@value #UNWATCHED}), the databases
     * taking turns so that drift over the run falls on all alike.
     */
    private Map<String, List<Double>> updateLoops(PostgresService postgres, Timeline progress) throws Exception {
        progress.event("bench", String.format(Locale.ROOT, "server-side loops: %d x %d transactions of %d UPDATEs per database",
                loopRuns, loopTransactions, UpdateLoop.UPDATES_PER_TRANSACTION));
        try (Connection stats = postgres.superuserConnection()) {
            return inTurns(stats, loopRuns, (database, track) -> UpdateLoop.microsPerUpdate(postgres, database,
                    Pgbench.APP_ROLE, Pgbench.APP_PASSWORD, loopTransactions, scale));
        }
    }

    /** One figure of one database (the watched one under a --pgss-track variant, or "none" for the unwatched twin). */
    @FunctionalInterface
    private interface PerRun {
        double measure(String database, String track) throws Exception;
    }

    /**
     * {@code runs} figures per database, keyed by --pgss-track value for the watched database and
     * {@value #UNWATCHED} for its twin: each variant and then the twin in turn, so that drift over
     * the run falls on all alike. A NaN (a failed run) is left out; the first variant is restored.
     */
    private Map<String, List<Double>> inTurns(Connection stats, int runs, PerRun perRun) throws Exception {
        Map<String, List<Double>> perDatabase = new LinkedHashMap<>();
        try {
            for (int run = 0; run < runs; run++) {
                for (String track : watchedTracks) {
                    useVariant(stats, track);
                    addMeasured(perDatabase, track, perRun.measure(WATCHED, track));
                }
                addMeasured(perDatabase, UNWATCHED, perRun.measure(UNWATCHED, "none"));
            }
        } finally {
            useVariant(stats, watchedTracks.get(0));
        }
        return perDatabase;
    }

    /**
     * Proves the comparison compares what it claims: pgbench's tables carry Firebreak's triggers in
     * the watched database, and the unwatched one has no event trigger and no Firebreak trigger.
     */
    private static List<String> checkWatching(PostgresService postgres) throws SQLException {
        List<String> problems = new ArrayList<>();
        String counts = """
                SELECT (SELECT count(*) FROM pg_event_trigger),
                       (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'firebreak%'
                           AND tgrelid = 'public.pgbench_accounts'::regclass)""";
        for (String database : List.of(WATCHED, UNWATCHED)) {
            try (Connection c = connect(postgres, database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(counts)) {
                rs.next();
                boolean watched = rs.getLong(1) > 0 && rs.getLong(2) > 0;
                boolean untouched = rs.getLong(1) == 0 && rs.getLong(2) == 0;
                if (database.equals(WATCHED) ? !watched : !untouched) {
                    problems.add(database + ": " + rs.getLong(1) + " event triggers, " + rs.getLong(2)
                            + " Firebreak triggers on pgbench_accounts; expected " + (database.equals(WATCHED) ? "some" : "none"));
                }
            }
        }
        return problems;
    }

    private static Map<String, String> serverSettings(PostgresService postgres) throws SQLException {
        Map<String, String> settings = new LinkedHashMap<>();
        try (Connection c = postgres.superuserConnection(); Statement st = c.createStatement()) {
            for (String name : SERVER_SETTINGS) {
                try (ResultSet rs = st.executeQuery("SHOW " + name)) {
                    rs.next();
                    settings.put(name, rs.getString(1));
                }
            }
        }
        return settings;
    }

    private static Connection connect(PostgresService postgres, String database) throws SQLException {
        return DriverManager.getConnection(postgres.jdbcUrl(database), PostgresService.SUPERUSER, PostgresService.SUPERUSER_PASSWORD);
    }

    /** The ddl-drop path of capture-bench, on the watched database, while nothing else loads it. */
    private PathResult dropLatency(PipelineRig rig, Deadline deadline, Timeline progress) throws Exception {
        progress.event("bench", "DROP TABLE capture latency: " + dropWarmup + " warm-up + " + drops + " samples");
        try (EventTap tap = rig.joinTap();
             DatabasePaths database = DatabasePaths.prepare(rig.stack().postgres(), DROP_ROLES, DROP_SPACING, dropWarmup + drops)) {
            CapturePath path = database.paths().stream().filter(p -> p.name().equals("ddl-drop")).findFirst().orElseThrow();
            return new LatencyRunner(tap, deadline, DROP_SAMPLE_TIMEOUT).run(path, dropWarmup, drops);
        }
    }

    private List<Round> runRounds(Pgbench pgbench, PostgresService postgres, Deadline deadline, Timeline progress,
                                  List<String> problems) throws Exception {
        try (Connection stats = postgres.superuserConnection()) {
            PostgresCpu pgCpu = PostgresCpu.locate(postgres, stats).orElse(null);
            if (pgCpu == null) {
                problems.add("PostgreSQL's processes cannot be read from /proc here (a container?): no PostgreSQL CPU figures");
            }
            try {
                return runRounds(pgbench, postgres, stats, pgCpu, deadline, progress, problems);
            } finally {
                try (Statement st = stats.createStatement()) {
                    setPgssTrack(st, WATCHED, watchedTracks.get(0));
                }
            }
        }
    }

    private List<Round> runRounds(Pgbench pgbench, PostgresService postgres, Connection stats, PostgresCpu pgCpu,
                                  Deadline deadline, Timeline progress, List<String> problems) throws Exception {
        List<Round> done = new ArrayList<>();
        int planned = rounds * SYNCHRONOUS_COMMIT.size();
        for (String sync : SYNCHRONOUS_COMMIT) {
            for (int number = 1; number <= rounds; number++) {
                // Swapping the order every round cancels what drifts over the run (checkpoints,
                // autovacuum, table growth, other load on the machine) from the ratio's median; the
                // watched variants run in reverse order when the unwatched twin goes first.
                boolean watchedFirst = number % 2 == 1;
                List<String> order = new ArrayList<>(watchedTracks);
                if (watchedFirst) {
                    order.add(null);
                } else {
                    Collections.reverse(order);
                    order.add(0, null);
                }
                Map<String, Run> watched = new LinkedHashMap<>();
                Run unwatched = null;
                for (String track : order) {
                    String database = track == null ? UNWATCHED : WATCHED;
                    if (deadline.remaining().toSeconds() < seconds + 5L) {
                        problems.add("the timeout cut the rounds after " + done.size() + " of " + planned);
                        return done;
                    }
                    progress.event("bench", String.format(Locale.ROOT, "synchronous_commit=%s round %d/%d: pgbench %s%s",
                            sync, number, rounds, database, track == null ? "" : " (pg_stat_statements.track=" + track + ")"));
                    if (track != null) {
                        useVariant(stats, track);
                    }
                    vacuumHotTables(postgres, database);
                    Run run = measureRun(pgbench, stats, pgCpu, database, track == null ? "none" : track, sync);
                    if (!run.pgbench().complete()) {
                        problems.add("synchronous_commit=" + sync + " round " + number + " " + database + ": " + run.pgbench().problem());
                        LOG.warn("pgbench on {} did not complete:\n{}", database, run.pgbench().output());
                    }
                    progress.event("bench", String.format(Locale.ROOT, "  %.0f tps, JVM %.2f cores (broker %.2f), PostgreSQL %.2f cores",
                            run.pgbench().tps(), run.cpu().cores(), run.cpu().brokerCores(), run.pgCores()));
                    if (track == null) {
                        unwatched = run;
                    } else {
                        watched.put(track, run);
                    }
                }
                List<Run> inOrder = watchedTracks.stream().map(watched::get).toList();
                done.add(new Round(sync, number, watchedFirst, inOrder, unwatched));
            }
        }
        return done;
    }

    /**
     * The watched database (once per --pgss-track value, in turn) and the unwatched twin under pgbench
     * at the same time. A checkpoint, an autovacuum or a neighbour on the host then slows both alike,
     * which in back-to-back runs falls on one of them. It is no better reference, only another view:
     * with synchronous_commit=on both wait on the same WAL flushes, so where the disk is the limit the
     * ratio leans to 1; with off the two loads share the cores unevenly from one round to the next and
     * need many rounds; and the pipeline's CPU falls on both here, which back to back it does not.
     */
    private List<Pair> runPairs(Pgbench pgbench, PostgresService postgres, Deadline deadline, Timeline progress,
                                List<String> problems) throws Exception {
        List<Pair> done = new ArrayList<>();
        if (pairedRounds == 0) {
            return done;
        }
        int planned = pairedRounds * SYNCHRONOUS_COMMIT.size() * watchedTracks.size();
        ExecutorService loads = Executors.newFixedThreadPool(2);
        try (Connection stats = postgres.superuserConnection()) {
            for (String sync : SYNCHRONOUS_COMMIT) {
                for (int number = 1; number <= pairedRounds; number++) {
                    for (String track : watchedTracks) {
                        if (deadline.remaining().toSeconds() < seconds + 5L) {
                            problems.add("the timeout cut the paired rounds after " + done.size() + " of " + planned);
                            return done;
                        }
                        progress.event("bench", String.format(Locale.ROOT,
                                "synchronous_commit=%s paired round %d/%d: pgbench %s (pg_stat_statements.track=%s) and %s at once",
                                sync, number, pairedRounds, WATCHED, track, UNWATCHED));
                        useVariant(stats, track);
                        vacuumHotTables(postgres, WATCHED);
                        vacuumHotTables(postgres, UNWATCHED);
                        JvmCpu cpu = JvmCpu.start();
                        Future<Pgbench.Result> watched = loads.submit(() -> pgbench.run(WATCHED, clients, threads, seconds, sync));
                        Future<Pgbench.Result> unwatched = loads.submit(() -> pgbench.run(UNWATCHED, clients, threads, seconds, sync));
                        Pair pair = new Pair(sync, number, track, watched.get(), unwatched.get(), cpu.stop());
                        for (Pgbench.Result result : List.of(pair.watched(), pair.unwatched())) {
                            if (!result.complete()) {
                                problems.add("synchronous_commit=" + sync + " paired round " + number + ": " + result.problem());
                                LOG.warn("paired pgbench did not complete:\n{}", result.output());
                            }
                        }
                        progress.event("bench", String.format(Locale.ROOT, "  %.0f and %.0f tps, ratio %.3f",
                                pair.watched().tps(), pair.unwatched().tps(), pair.ratio()));
                        done.add(pair);
                    }
                }
            }
            return done;
        } finally {
            loads.shutdownNow();
            try (Connection stats = postgres.superuserConnection()) {
                useVariant(stats, watchedTracks.get(0));
            }
        }
    }

    /** One uncounted pgbench run on each database, as the first round would load it. */
    private void warmUp(Pgbench pgbench, PostgresService postgres, Deadline deadline, Timeline progress, List<String> problems)
            throws Exception {
        if (warmupSeconds == 0) {
            return;
        }
        try (Connection stats = postgres.superuserConnection()) {
            setUpdateGate(stats, watchedTracks.get(0));
        }
        for (String database : List.of(WATCHED, UNWATCHED)) {
            if (deadline.remaining().toSeconds() < warmupSeconds + 5L) {
                return;
            }
            progress.event("bench", "warm-up, not counted: pgbench " + database + " for " + warmupSeconds + " s");
            vacuumHotTables(postgres, database);
            Pgbench.Result result = pgbench.run(database, clients, threads, warmupSeconds, SYNCHRONOUS_COMMIT.get(0));
            if (!result.complete()) {
                problems.add("warm-up on " + database + ": " + result.problem());
            }
        }
    }

    /**
     * Vacuums pgbench's two small, hottest tables before a run, as pgbench itself does unless told
     * {@code -n} (which the bench must say: its load role may not vacuum): their dead row versions
     * otherwise pile up with every run, and a database that ran more often would pay for it.
     */
    private static void vacuumHotTables(PostgresService postgres, String database) throws SQLException {
        try (Connection c = connect(postgres, database); Statement st = c.createStatement()) {
            st.execute("VACUUM pgbench_branches, pgbench_tellers");
        }
    }

    /**
     * Vacuums all of pgbench's tables in both databases before the rounds. What ran before them
     * (the paced UPDATEs, the DROPs) loaded the watched database alone, so its pgbench_accounts would
     * reach autovacuum's threshold first and the vacuum would land in a watched run, counted in its
     * backends' CPU. From here on both databases carry the same load per run.
     */
    private static void vacuumBoth(PostgresService postgres, Timeline progress) throws SQLException {
        for (String database : List.of(WATCHED, UNWATCHED)) {
            progress.event("bench", "VACUUM (ANALYZE) of pgbench's tables in " + database + ", before the rounds");
            try (Connection c = connect(postgres, database); Statement st = c.createStatement()) {
                st.execute("VACUUM (ANALYZE) pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history");
            }
        }
    }

    /** One pgbench run with the JVM's, PostgreSQL's and the WAL's counters around it. */
    private Run measureRun(Pgbench pgbench, Connection stats, PostgresCpu pgCpu, String database, String track, String sync)
            throws Exception {
        return measure(stats, pgCpu, database, track, () -> pgbench.run(database, clients, threads, seconds, sync));
    }

    /** {@code load} (one pgbench run) with the JVM's, PostgreSQL's and the WAL's counters around it. */
    private static Run measure(Connection stats, PostgresCpu pgCpu, String database, String track, Callable<Pgbench.Result> load)
            throws Exception {
        // the walsenders of the watched database's slot decode every run's WAL, the unwatched twin's too
        Set<Integer> walsenders = pgCpu == null ? Set.of() : PostgresCpu.walsenders(stats, WATCHED);
        PostgresCpu.Snapshot pgStart = pgCpu == null ? null : pgCpu.snapshot();
        WalStats walBefore = WalStats.read(stats);
        JvmCpu cpu = JvmCpu.start();
        long startNanos = System.nanoTime();
        Pgbench.Result result = load.call();
        double wallSeconds = (System.nanoTime() - startNanos) / 1e9;
        JvmCpu.Usage used = cpu.stop();
        WalStats wal = WalStats.readAfterExit(stats, Pgbench.APPLICATION_NAME).minus(walBefore);
        PostgresCpu.Usage pg = null;
        if (pgCpu != null) {
            pgCpu.awaitEndedSessionsReaped(pgStart, stats);
            pg = pgCpu.between(pgStart, pgCpu.snapshot(), walsenders, wallSeconds);
        }
        return new Run(database, track, result, used, pg, wal);
    }

    /**
     * The JVM's CPU of some runs split by who spent it, each part's median over the runs: "pipeline
     * 0.050, broker 0.040, GC+JIT 0.060". Tells the summaries' trip through the co-located broker
     * from the pipeline's own work when the watched runs take more than the unwatched ones.
     */
    static String jvmSplit(List<JvmCpu.Usage> runs) {
        return String.format(Locale.ROOT, "pipeline %s, broker %s, GC+JIT %s",
                fixed(median(runs, JvmCpu.Usage::pipelineCores), 3), fixed(median(runs, JvmCpu.Usage::brokerCores), 3),
                fixed(median(runs, JvmCpu.Usage::jvmCores), 3));
    }

    /** Sets the watched database up for a --pgss-track variant: its UPDATE gate, then its pg_stat_statements tracking. */
    private static void useVariant(Connection stats, String variant) throws SQLException {
        setUpdateGate(stats, variant);
        try (Statement st = stats.createStatement()) {
            setPgssTrack(st, WATCHED, variant);
        }
    }

    /**
     * Switches the watched database's UPDATE gate triggers as the variant wants, as ingest does: by
     * default (summary mode) on the tables holding enough rows for an UPDATE to be judged, as the
     * installer leaves them; {@code -ungated} on none ({@code firebreak.ingest.dml.update.gated=false});
     * {@code -allgated} on every watched table, as before V10 (through statement mode, which gates every
     * table, and back: a running ingest never removes a gate). Through the bench's superuser connection.
     */
    private static void setUpdateGate(Connection stats, String variant) throws SQLException {
        Matcher m = PGSS_TRACK.matcher(variant);
        if (!m.matches()) {
            throw new IllegalArgumentException("--pgss-track value " + variant);
        }
        boolean gated = !"-ungated".equals(m.group(3));
        boolean everywhere = "-allgated".equals(m.group(3));
        boolean autoCommit = stats.getAutoCommit();
        stats.setAutoCommit(false);
        try (Statement st = stats.createStatement()) {
            st.execute("SET LOCAL firebreak.installing = 'on'");
            st.execute("SELECT firebreak.set_update_gate(" + gated + ")");
            if (gated) {
                st.execute("SELECT firebreak.watch_table(p.rel) FROM firebreak.watch_plan() p WHERE p.watch");
                if (everywhere) {
                    st.execute("SELECT firebreak.set_routine_capture('statement')");
                    st.execute("SELECT firebreak.set_routine_capture('summary')");
                } else {
                    st.execute("SELECT CASE WHEN p.gate THEN firebreak.watch_table(p.rel) ELSE firebreak.ungate_table(p.rel) END"
                            + " FROM firebreak.update_gate_plan() p");
                }
            }
            stats.commit();
        } catch (SQLException e) {
            stats.rollback();
            throw e;
        } finally {
            stats.setAutoCommit(autoCommit);
        }
    }

    /** Sets the database's pg_stat_statements.track and track_utility for sessions that start from now on. */
    private static void setPgssTrack(Statement st, String database, String value) throws SQLException {
        Matcher m = PGSS_TRACK.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("pg_stat_statements.track " + value);
        }
        st.execute("ALTER DATABASE " + database + " SET pg_stat_statements.track = '" + m.group(1) + "'");
        st.execute("ALTER DATABASE " + database + " SET pg_stat_statements.track_utility = " + (m.group(2) == null ? "on" : "off"));
    }

    private void print(Outcome o, PipelineRig rig, Deadline deadline, double elapsedSeconds) {
        BenchReport report = new BenchReport(System.out);
        report.settings(String.format(Locale.ROOT, "pgbench scale=%d, clients=%d, threads=%d, %d s per run, %d rounds per "
                        + "synchronous_commit (%s) back to back and %d at the same time, %d s uncounted warm-up per database, "
                        + "-M prepared, built-in TPC-B-like script (3 UPDATEs, 1 SELECT, 1 INSERT "
                        + "per transaction), -n (pgbench_branches and pgbench_tellers vacuumed by the bench before every run), "
                        + "initialised as %s, run as the ordinary role %s (guarded in the watched database); %s",
                scale, clients, threads, seconds, rounds, String.join(", ", SYNCHRONOUS_COMMIT), pairedRounds, warmupSeconds,
                PostgresService.SUPERUSER,
                Pgbench.APP_ROLE,
                o.pgbenchVersion()));
        report.note(String.format(Locale.ROOT, "  databases: watched %s (Firebreak's capture installed, the pipeline's ingest "
                + "reads it; routine DELETE/UPDATE captured by %s%s, pg_stat_statements.track=%s), unwatched %s (nothing "
                + "installed, pg_stat_statements.track=none); same cluster, same server settings", WATCHED,
                rig.settings().ingest().dmlRoutine(), rig.settings().ingest().routineSummarized()
                        ? " every " + rig.settings().ingest().dmlSummaryIntervalMs() + " ms" : "",
                String.join(" | ", watchedTracks), UNWATCHED));
        report.note("  server: " + o.server().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .reduce((a, b) -> a + ", " + b).orElse("-") + "; synchronous_commit per run through PGOPTIONS");
        report.note(String.format(Locale.ROOT, "  pipeline: ingest poll.interval.ms=%d, Kafka brokers=%d, cluster=%s, overrides=%s; "
                        + "JVM %s, GC %s, %d CPUs",
                rig.settings().ingest().pollIntervalMs(), stackOptions.brokers(), stackOptions.cluster(), stackOptions.overrides(),
                Runtime.version(), CaptureBenchCommand.garbageCollectors(), Runtime.getRuntime().availableProcessors()));

        String row = "%-6s %-6s %-10s %-13s %12s %12s %7s %10s %10s%n";
        System.out.printf(Locale.ROOT, "%npgbench TPS, watched vs unwatched, run back to back; the order swaps every round%n");
        System.out.printf(Locale.ROOT, row, "sync", "round", "first", "pgss", "watched", "unwatched", "ratio", "JVM cores", "JVM cores");
        System.out.printf(Locale.ROOT, row, "commit", "", "", "track", "tps", "tps", "w/u", "watched", "unwatched");
        for (String sync : SYNCHRONOUS_COMMIT) {
            List<Round> of = o.rounds().stream().filter(r -> r.synchronousCommit().equals(sync)).toList();
            for (Round r : of) {
                for (int v = 0; v < watchedTracks.size(); v++) {
                    Run w = r.watchedRuns().get(v);
                    System.out.printf(Locale.ROOT, row, sync, r.number(), r.watchedFirst() ? "watched" : "unwatched", w.pgssTrack(),
                            fixed(w.pgbench().tps(), 1), fixed(r.unwatched().pgbench().tps(), 1), fixed(r.ratio(v), 3),
                            fixed(w.cpu().cores(), 2), fixed(r.unwatched().cpu().cores(), 2));
                }
            }
            for (int v = 0; v < (of.isEmpty() ? 0 : watchedTracks.size()); v++) {
                int variant = v;
                System.out.printf(Locale.ROOT, row, sync, "median", "", watchedTracks.get(v),
                        fixed(median(of, r -> r.watchedRuns().get(variant).pgbench().tps()), 1),
                        fixed(median(of, r -> r.unwatched().pgbench().tps()), 1), fixed(median(of, r -> r.ratio(variant)), 3),
                        fixed(median(of, r -> r.watchedRuns().get(variant).cpu().cores()), 2),
                        fixed(median(of, r -> r.unwatched().cpu().cores()), 2));
            }
            for (int v = 0; v < (of.isEmpty() ? 0 : watchedTracks.size()); v++) {
                int variant = v;
                System.out.printf(Locale.ROOT, row, sync, "balanced", "", watchedTracks.get(v), "", "",
                        fixed(orderBalanced(of, r -> r.ratio(variant)), 3), "", "");
            }
        }
        report.note("  tps: pgbench's \"without initial connection time\"; ratio: watched / unwatched of the same round, "
                + "median per setting; balanced: the geometric mean of the ratio over the rounds where the watched database ran "
                + "first and, weighted alike, over those where the unwatched one did (the run that goes second pays for the first "
                + "one's autovacuum and dirty pages, so with an odd number of rounds the median leans to the order with more "
                + "rounds; - when one order has none); pgss track: the watched database's pg_stat_statements.track (the unwatched twin's "
                + "is none); JVM cores: this JVM's CPU seconds during the run / its wall time");

        printPairs(o.pairs());
        printPostgresCpu(o.rounds());
        printWal(o.rounds(), series());
        printLoops(o.loops());
        printClientUpdates(o.clientUpdates());

        System.out.printf(Locale.ROOT, "%npipeline JVM CPU, cores (CPU seconds / wall seconds)%n");
        String cpuRow = "%-60s %6s %10s %12s  %s%n";
        System.out.printf(Locale.ROOT, cpuRow, "load", "cores", "captured/s", "ms/statement", "");
        double idleCores = o.idle() == null ? Double.NaN : o.idle().cores();
        if (o.idle() != null) {
            System.out.printf(Locale.ROOT, cpuRow, "idle, no load, " + fixed(o.idle().wallSeconds(), 1) + " s",
                    fixed(idleCores, 3), "0", "", "");
        }
        if (o.paced() != null) {
            double rate = o.paced().perSecond();
            System.out.printf(Locale.ROOT, cpuRow, String.format(Locale.ROOT, "paced UPDATEs on %s, target %d/s, %.1f s",
                            WATCHED, pacedRate, o.paced().seconds()), fixed(o.pacedCpu().cores(), 3), fixed(rate, 0),
                    fixed(perStatementMs(o.pacedCpu().cores(), idleCores, rate), 3),
                    String.format(Locale.ROOT, "one connection, synchronous_commit=%s, %d statements",
                            PACED_SYNCHRONOUS_COMMIT, o.paced().statements()));
        }
        for (String sync : SYNCHRONOUS_COMMIT) {
            List<Round> of = o.rounds().stream().filter(r -> r.synchronousCommit().equals(sync)).toList();
            if (!of.isEmpty()) {
                double cores = median(of, r -> r.watched().cpu().cores());
                double rate = median(of, r -> r.watched().pgbench().tps()) * CAPTURED_PER_TRANSACTION;
                System.out.printf(Locale.ROOT, cpuRow, "pgbench on " + WATCHED + ", synchronous_commit=" + sync + ", median",
                        fixed(cores, 3), fixed(rate, 0), fixed(median(of, Round::jvmMsPerCapturedStatement), 3),
                        CAPTURED_PER_TRANSACTION + " captured UPDATEs per transaction; ms above the unwatched run; "
                                + jvmSplit(of.stream().map(r -> r.watched().cpu()).toList()));
                System.out.printf(Locale.ROOT, cpuRow, "pgbench on " + UNWATCHED + ", synchronous_commit=" + sync + ", median",
                        fixed(median(of, r -> r.unwatched().cpu().cores()), 3), "0", "",
                        "nothing captured: the baseline; " + jvmSplit(of.stream().map(r -> r.unwatched().cpu()).toList()));
            }
        }
        printThreads("idle", o.idle());
        printThreads("paced UPDATEs", o.pacedCpu());
        report.note("  pipeline / broker / GC+JIT: the median cores of the pipeline's own threads, of the embedded broker's "
                + "threads, and of no Java thread (garbage collection, JIT); the broker's share is this bench's, since "
                + "production runs Kafka elsewhere");
        report.note("  ms/statement: the JVM's CPU per captured statement, (cores - baseline cores) * 1000 / captured "
                + "statements per second; baseline: idle for the paced load, the same round's unwatched run for pgbench "
                + "(median of the rounds)");
        report.note("  the JVM hosts the pipeline (Debezium ingest, Kafka Streams detection, kill switch) and the embedded "
                + "Kafka broker; during the paced load also the bench's own JDBC loop. PostgreSQL (with the walsender "
                + "that decodes for ingest), pgbench and the registry are separate processes, not counted here; "
                + "PostgreSQL's and pgbench's are in the PostgreSQL CPU table above.");

        if (o.drop() != null) {
            report.latency(List.of(o.drop()));
            o.drop().samples().stream().max(Comparator.comparingDouble(PathResult.Sample::endToEndMs))
                    .ifPresent(worst -> report.note(String.format(Locale.ROOT, "  slowest DROP: %.2f ms end to end = "
                                    + "%.2f ms sent to the trigger's clock + %.2f event->captured + %.2f captured->consumed "
                                    + "(monotonic and wall clocks mixed: the first term is approximate)",
                            worst.endToEndMs(), worst.endToEndMs() - worst.eventToCaptureMs() - worst.captureToConsumeMs(),
                            worst.eventToCaptureMs(), worst.captureToConsumeMs())));
        }
        if (!o.guard().isEmpty()) {
            report.note("");
            report.note("per statement as the guarded role " + Pgbench.APP_ROLE + ", ms: watched (capture and guard) | unwatched");
            report.note(String.format(Locale.ROOT, "%-30s %4s %8s %8s %8s   %8s %8s %8s   %5s", "statement", "n", "p50", "p99",
                    "max", "p50", "p99", "max", "+p50"));
            o.guard().forEach(s -> report.note(GuardLatency.format(s)));
        }
        report.note("");
        o.problems().forEach(p -> report.note("problem: " + p));
        if (deadline.passed()) {
            report.note("TIMED OUT after " + timeoutSeconds + " s: the figures above are partial");
        }
        report.note(String.format(Locale.ROOT, "capture-cost-bench took %.1f s, stack and pipeline start included", elapsedSeconds));
    }

    private void printPairs(List<Pair> pairs) {
        if (pairs.isEmpty()) {
            return;
        }
        String row = "%-6s %-9s %-13s %12s %12s %7s %10s%n";
        System.out.printf(Locale.ROOT, "%npgbench TPS, watched and unwatched at the same time (each its own pgbench, -c %d -j %d)%n",
                clients, threads);
        System.out.printf(Locale.ROOT, row, "sync", "round", "pgss", "watched", "unwatched", "ratio", "JVM cores");
        System.out.printf(Locale.ROOT, row, "commit", "", "track", "tps", "tps", "w/u", "");
        for (String sync : SYNCHRONOUS_COMMIT) {
            for (String track : watchedTracks) {
                List<Pair> of = pairs.stream().filter(p -> p.synchronousCommit().equals(sync) && p.pgssTrack().equals(track)).toList();
                if (of.isEmpty()) {
                    continue;
                }
                for (Pair p : of) {
                    System.out.printf(Locale.ROOT, row, sync, p.number(), track, fixed(p.watched().tps(), 1),
                            fixed(p.unwatched().tps(), 1), fixed(p.ratio(), 3), fixed(p.cpu().cores(), 2));
                }
                System.out.printf(Locale.ROOT, row, sync, "median", track, "", "", fixed(median(of, Pair::ratio), 3), "");
                System.out.printf(Locale.ROOT, row, sync, "geo mean", track, "", "", fixed(geometricMean(of, Pair::ratio), 3), "");
            }
        }
        System.out.println("  both databases loaded in the same seconds, so what drifts on the machine (checkpoints, autovacuum, "
                + "other tenants) falls on both alike. With synchronous_commit=on both wait on the same WAL flushes, so where "
                + "the disk is the limit the ratio leans to 1; with off the two loads share the cores unevenly from round to "
                + "round, so only many rounds tell. The pipeline's CPU slows both runs here: it is in the back-to-back ratio "
                + "above and in the JVM figures below. Before every run, here and above, pgbench_branches and pgbench_tellers "
                + "are vacuumed, as pgbench does without -n");
    }

    private void printLoops(Map<String, List<Double>> loops) {
        printPerDatabase(loops, String.format(Locale.ROOT, "pgbench's single-row UPDATEs in a server-side loop, us per UPDATE "
                + "(%d transactions of %d per loop, synchronous_commit=off, as %s; %d loops per database, taking turns)",
                loopTransactions, UpdateLoop.UPDATES_PER_TRANSACTION, Pgbench.APP_ROLE, loopRuns),
                "  what the backend spends per UPDATE, Firebreak's triggers included, without pgbench, the network "
                + "or other sessions; +median: above the unwatched twin's median");
    }

    private void printClientUpdates(Map<String, List<Double>> runs) {
        printPerDatabase(runs, String.format(Locale.ROOT, "one single-row UPDATE of pgbench_accounts per client transaction, "
                + "backend us per transaction (pgbench -c 1 -M prepared, %d s per run, synchronous_commit=%s, as %s; %d runs per "
                + "database, taking turns)", clientUpdateSeconds, PACED_SYNCHRONOUS_COMMIT, Pgbench.APP_ROLE, clientUpdateRuns),
                "  the session's backend CPU (/proc, its connection included) / transactions; every transaction sets the gate's "
                + "PL/pgSQL expressions up again, which the loop above hides; +median: above the unwatched twin's median (the gate's two "
                + "triggers and pg_stat_statements' tracking)");
    }

    /** One array of per-run figures per database, rounded to 0.01. */
    private static void putPerDatabase(ObjectNode node, Map<String, List<Double>> perDatabase) {
        perDatabase.forEach((key, values) -> {
            ArrayNode runs = node.putArray(key);
            values.forEach(v -> runs.add(round(v, 2)));
        });
    }

    /** A table of one figure per run, per database: median, min, max and the median above the unwatched twin's. */
    private static void printPerDatabase(Map<String, List<Double>> perDatabase, String title, String note) {
        List<Double> base = perDatabase.get(UNWATCHED);
        if (base == null || base.isEmpty()) {
            return;
        }
        System.out.printf(Locale.ROOT, "%n%s%n", title);
        String row = "%-36s %8s %8s %8s %10s%n";
        System.out.printf(Locale.ROOT, row, "database", "median", "min", "max", "+median");
        double baseline = Percentiles.of(base).p50();
        perDatabase.forEach((key, values) -> {
            if (values.isEmpty()) {
                return;
            }
            Percentiles p = Percentiles.of(values);
            boolean unwatched = key.equals(UNWATCHED);
            System.out.printf(Locale.ROOT, row, unwatched ? UNWATCHED : WATCHED + " pgss=" + key, fixed(p.p50(), 2),
                    fixed(values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN), 2), fixed(p.max(), 2),
                    unwatched ? "" : fixed(p.p50() - baseline, 2));
        });
        System.out.println(note);
    }

    /** The watched database once per --pgss-track value, then the unwatched twin. */
    private List<Series> series() {
        List<Series> all = new ArrayList<>();
        for (int v = 0; v < watchedTracks.size(); v++) {
            int variant = v;
            String label = watchedTracks.size() == 1 ? WATCHED : WATCHED + " pgss=" + watchedTracks.get(v);
            all.add(new Series(label, r -> r.watchedRuns().get(variant)));
        }
        all.add(new Series(UNWATCHED, Round::unwatched));
        return all;
    }

    /**
     * PostgreSQL's CPU per transaction, split between the slot's walsender, the run's backends and the
     * rest of the server: what the watched database pays inside PostgreSQL, which TPS alone cannot
     * tell from a busy machine.
     */
    private void printPostgresCpu(List<Round> all) {
        if (all.isEmpty() || all.get(0).unwatched().pg() == null) {
            return;
        }
        String row = "%-6s %-28s %8s %8s %10s %10s %8s %8s %10s %7s%n";
        System.out.printf(Locale.ROOT, "%nPostgreSQL CPU per transaction, ms, median of the rounds (/proc: utime+stime of the "
                + "postmaster and its children)%n");
        System.out.printf(Locale.ROOT, row, "sync", "database", "server", "server", "walsender", "backends", "other", "total",
                "pgbench", "CPU");
        System.out.printf(Locale.ROOT, row, "commit", "", "cores", "ms/tx", "ms/tx", "ms/tx", "ms/tx", "ms/tx", "client ms/tx", "u/w");
        for (String sync : SYNCHRONOUS_COMMIT) {
            List<Round> of = all.stream().filter(r -> r.synchronousCommit().equals(sync)).toList();
            if (of.isEmpty()) {
                continue;
            }
            for (Series series : series()) {
                Function<Round, Run> run = series.run();
                System.out.printf(Locale.ROOT, row, sync, series.label(), fixed(median(of, r -> run.apply(r).pgCores()), 2),
                        fixed(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::server)), 3),
                        fixed(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::walsender)), 3),
                        fixed(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::endedBackends)), 3),
                        fixed(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::otherServer)), 3),
                        fixed(median(of, r -> run.apply(r).totalMsPerTransaction()), 3),
                        fixed(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::loadClient)), 3),
                        fixed(median(of, r -> cpuRatio(r, run)), 3));
            }
        }
        System.out.printf(Locale.ROOT, "  walsender: the watched database's slot (it reads all of the cluster's WAL, decodes the "
                + "watched database's); backends: server processes that ended during the run (pgbench's sessions, any "
                + "autovacuum worker); other: the rest of the server (walwriter, checkpointer, the pipeline's sessions); "
                + "total: server + pgbench client; CPU u/w: the unwatched run's total per transaction / this one's, the "
                + "TPS ratio to expect where PostgreSQL and pgbench are CPU-bound. CPU seconds move less with contention "
                + "than TPS, so these compare better on a busy machine, though not exactly%n");
    }

    /** The unwatched run's CPU per transaction over {@code run}'s: NaN when not measured. */
    private static double cpuRatio(Round r, Function<Round, Run> run) {
        return r.unwatched().totalMsPerTransaction() / run.apply(r).totalMsPerTransaction();
    }

    private static void printWal(List<Round> all, List<Series> series) {
        if (all.isEmpty()) {
            return;
        }
        String row = "%-6s %-28s %10s %10s %12s%n";
        System.out.printf(Locale.ROOT, "%nWAL per transaction, median of the rounds (pg_stat_wal over each run / transactions)%n");
        System.out.printf(Locale.ROOT, row, "sync", "database", "syncs/tx", "bytes/tx", "records/tx");
        for (String sync : SYNCHRONOUS_COMMIT) {
            List<Round> of = all.stream().filter(r -> r.synchronousCommit().equals(sync)).toList();
            if (of.isEmpty()) {
                continue;
            }
            for (Series s : series) {
                Function<Round, Run> run = s.run();
                System.out.printf(Locale.ROOT, row, sync, s.label(),
                        fixed(median(of, r -> run.apply(r).perTransaction(WalStats::syncs)), 2),
                        fixed(median(of, r -> run.apply(r).perTransaction(WalStats::bytes)), 0),
                        fixed(median(of, r -> run.apply(r).perTransaction(WalStats::records)), 1));
            }
        }
        System.out.printf(Locale.ROOT, "  cluster-wide counters, so they include the pipeline's slot and the server's own "
                + "processes; syncs/tx below 1 is commits sharing a sync (group commit)%n");
    }

    /**
     * Where the JVM's CPU went: the pipeline's own threads, the embedded broker's (which production
     * runs elsewhere) and the JVM's (GC, JIT), and the busiest threads by name: the profile the
     * per-statement figures come from.
     */
    private static void printThreads(String load, JvmCpu.Usage usage) {
        if (usage == null) {
            return;
        }
        System.out.printf(Locale.ROOT, "%s: %.3f cores = pipeline threads %.3f + embedded broker %.3f + the bench's own "
                        + "thread %.3f + JVM (GC, JIT) %.3f; busiest threads:%n", load, usage.cores(), usage.pipelineCores(),
                usage.brokerCores(), usage.benchSeconds() / usage.wallSeconds(), usage.jvmCores());
        for (JvmCpu.ThreadCpu t : usage.top()) {
            if (t.cores() >= 0.005) {
                System.out.printf(Locale.ROOT, "    %6.3f  %s%s%n", t.cores(), t.name(), t.broker() ? "  [broker]" : "");
            }
        }
    }

    private String toJson(Outcome o, long pollIntervalMs) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("scale", scale).put("clients", clients).put("threads", threads).put("seconds", seconds).put("rounds", rounds)
                .put("paired_rounds", pairedRounds).put("warmup_seconds", warmupSeconds);
        ObjectNode server = root.putObject("server");
        o.server().forEach(server::put);
        root.put("poll_interval_ms", pollIntervalMs);
        root.put("routine_dml", stackOptions.overrides().get(ROUTINE_KEY));
        ArrayNode tracks = root.putArray("watched_pgss_track");
        watchedTracks.forEach(tracks::add);
        putPerDatabase(root.putObject("update_loop_us"), o.loops());
        putPerDatabase(root.putObject("client_update_us"), o.clientUpdates());
        ObjectNode perSync = root.putObject("synchronous_commit");
        for (String sync : SYNCHRONOUS_COMMIT) {
            List<Round> of = o.rounds().stream().filter(r -> r.synchronousCommit().equals(sync)).toList();
            ObjectNode node = perSync.putObject(sync);
            ArrayNode watched = node.putArray("watched_tps");
            ArrayNode unwatched = node.putArray("unwatched_tps");
            ArrayNode ratios = node.putArray("ratio");
            ArrayNode cores = node.putArray("jvm_cores_watched");
            ArrayNode msPerStatement = node.putArray("jvm_ms_per_captured_statement");
            ArrayNode brokerWatched = node.putArray("jvm_broker_cores_watched");
            ArrayNode brokerUnwatched = node.putArray("jvm_broker_cores_unwatched");
            ArrayNode pipelineWatched = node.putArray("jvm_pipeline_cores_watched");
            ArrayNode pipelineUnwatched = node.putArray("jvm_pipeline_cores_unwatched");
            ArrayNode syncsWatched = node.putArray("wal_syncs_per_tx_watched");
            ArrayNode syncsUnwatched = node.putArray("wal_syncs_per_tx_unwatched");
            for (Round r : of) {
                watched.add(round(r.watched().pgbench().tps(), 1));
                unwatched.add(round(r.unwatched().pgbench().tps(), 1));
                ratios.add(round(r.ratio(), 3));
                msPerStatement.add(round(r.jvmMsPerCapturedStatement(), 3));
                cores.add(round(r.watched().cpu().cores(), 3));
                brokerWatched.add(round(r.watched().cpu().brokerCores(), 3));
                brokerUnwatched.add(round(r.unwatched().cpu().brokerCores(), 3));
                pipelineWatched.add(round(r.watched().cpu().pipelineCores(), 3));
                pipelineUnwatched.add(round(r.unwatched().cpu().pipelineCores(), 3));
                syncsWatched.add(round(r.watched().perTransaction(WalStats::syncs), 2));
                syncsUnwatched.add(round(r.unwatched().perTransaction(WalStats::syncs), 2));
            }
            if (!of.isEmpty()) {
                node.put("median_ratio", round(median(of, Round::ratio), 3));
                node.put("balanced_ratio", round(orderBalanced(of, Round::ratio), 3));
            }
            ObjectNode variants = node.putObject("pgss_track");
            for (int v = 0; v < (of.isEmpty() ? 0 : watchedTracks.size()); v++) {
                int variant = v;
                ObjectNode vn = variants.putObject(watchedTracks.get(v));
                ArrayNode tps = vn.putArray("watched_tps");
                ArrayNode ratio = vn.putArray("ratio");
                of.forEach(r -> tps.add(round(r.watchedRuns().get(variant).pgbench().tps(), 1)));
                of.forEach(r -> ratio.add(round(r.ratio(variant), 3)));
                vn.put("median_ratio", round(median(of, r -> r.ratio(variant)), 3));
                vn.put("balanced_ratio", round(orderBalanced(of, r -> r.ratio(variant)), 3));
            }
            if (!of.isEmpty() && of.get(0).unwatched().pg() != null) {
                ObjectNode pg = node.putObject("postgres_cpu_median");
                for (Series series : series()) {
                    Function<Round, Run> run = series.run();
                    ObjectNode one = pg.putObject(series.label());
                    one
                            .put("server_cores", round(median(of, r -> run.apply(r).pgCores()), 3))
                            .put("server_ms_per_tx", round(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::server)), 4))
                            .put("walsender_ms_per_tx", round(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::walsender)), 4))
                            .put("walsender_cores", round(median(of, r -> run.apply(r).pg().cores(run.apply(r).pg().walsender())), 3))
                            .put("backends_ms_per_tx", round(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::endedBackends)), 4))
                            .put("other_ms_per_tx", round(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::otherServer)), 4))
                            .put("pgbench_client_ms_per_tx", round(median(of, r -> run.apply(r).pgMsPerTransaction(PostgresCpu.Usage::loadClient)), 4))
                            .put("cpu_ratio_unwatched_over_this", round(median(of, r -> cpuRatio(r, run)), 3));
                    ArrayNode perRound = one.putArray("total_ms_per_tx_rounds");
                    of.forEach(r -> perRound.add(round(run.apply(r).totalMsPerTransaction(), 4)));
                }
            }
        }
        ObjectNode paired = root.putObject("paired");
        for (String sync : SYNCHRONOUS_COMMIT) {
            ObjectNode node = paired.putObject(sync);
            for (String track : watchedTracks) {
                List<Pair> of = o.pairs().stream().filter(p -> p.synchronousCommit().equals(sync) && p.pgssTrack().equals(track)).toList();
                if (of.isEmpty()) {
                    continue;
                }
                ObjectNode vn = node.putObject(track);
                ArrayNode watchedTps = vn.putArray("watched_tps");
                ArrayNode unwatchedTps = vn.putArray("unwatched_tps");
                ArrayNode ratio = vn.putArray("ratio");
                of.forEach(p -> {
                    watchedTps.add(round(p.watched().tps(), 1));
                    unwatchedTps.add(round(p.unwatched().tps(), 1));
                    ratio.add(round(p.ratio(), 3));
                });
                vn.put("median_ratio", round(median(of, Pair::ratio), 3));
                vn.put("geometric_mean_ratio", round(geometricMean(of, Pair::ratio), 3));
            }
        }
        ObjectNode cpu = root.putObject("jvm_cores");
        if (o.idle() != null) {
            cpu.put("idle", round(o.idle().cores(), 3));
            cpu.put("idle_pipeline_threads", round(o.idle().pipelineCores(), 3));
            cpu.put("idle_broker", round(o.idle().brokerCores(), 3));
        }
        if (o.paced() != null) {
            cpu.put("paced", round(o.pacedCpu().cores(), 3)).put("paced_target_per_s", pacedRate)
                    .put("paced_achieved_per_s", round(o.paced().perSecond(), 0))
                    .put("paced_ms_per_statement", round(perStatementMs(o.pacedCpu().cores(), o.idle() == null ? Double.NaN
                            : o.idle().cores(), o.paced().perSecond()), 3));
        }
        Percentiles e2e = o.drop() == null ? null : o.drop().endToEnd();
        if (e2e != null) {
            root.putObject("drop_table_ms").put("n", e2e.count()).put("p50", round(e2e.p50(), 2))
                    .put("p99", round(e2e.p99(), 2)).put("max", round(e2e.max(), 2));
        }
        root.put("problems", o.problems().size());
        return root.toString();
    }

    private static double perStatementMs(double cores, double baselineCores, double perSecond) {
        return perSecond > 0 ? (cores - baselineCores) * 1000 / perSecond : Double.NaN;
    }

    /** {@link #orderBalanced(boolean[], double[])} of the rounds' {@code ratio}. */
    static double orderBalanced(List<Round> of, ToDoubleFunction<Round> ratio) {
        boolean[] watchedFirst = new boolean[of.size()];
        double[] ratios = new double[of.size()];
        for (int i = 0; i < of.size(); i++) {
            watchedFirst[i] = of.get(i).watchedFirst();
            ratios[i] = ratio.applyAsDouble(of.get(i));
        }
        return orderBalanced(watchedFirst, ratios);
    }

    /**
     * The ratio with the order of the runs weighed out: the geometric mean of the two orders'
     * geometric means, NaN unless both orders ran (or a ratio is not positive).
     */
    static double orderBalanced(boolean[] watchedFirst, double[] ratios) {
        double[] logSum = new double[2];
        int[] count = new int[2];
        for (int i = 0; i < ratios.length; i++) {
            if (!(ratios[i] > 0) || Double.isInfinite(ratios[i])) {
                return Double.NaN;
            }
            int order = watchedFirst[i] ? 0 : 1;
            logSum[order] += Math.log(ratios[i]);
            count[order]++;
        }
        if (count[0] == 0 || count[1] == 0) {
            return Double.NaN;
        }
        return Math.exp((logSum[0] / count[0] + logSum[1] / count[1]) / 2);
    }

    /** Median of the values; the mean of the middle two for an even count, NaN for none. */
    static <T> double median(List<T> of, ToDoubleFunction<T> value) {
        double[] sorted = of.stream().mapToDouble(value).sorted().toArray();
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Geometric mean of the values, the mean that suits ratios; NaN for none or for one not positive. */
    static <T> double geometricMean(List<T> of, ToDoubleFunction<T> value) {
        double logSum = 0;
        for (T t : of) {
            double v = value.applyAsDouble(t);
            if (!(v > 0) || Double.isInfinite(v)) {
                return Double.NaN;
            }
            logSum += Math.log(v);
        }
        return of.isEmpty() ? Double.NaN : Math.exp(logSum / of.size());
    }

    private static String fixed(double value, int decimals) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    /** Null (JSON null) for NaN, a run that printed no figure. */
    private static Double round(double value, int decimals) {
        double scaleBy = Math.pow(10, decimals);
        return Double.isNaN(value) ? null : Math.round(value * scaleBy) / scaleBy;
    }
}
