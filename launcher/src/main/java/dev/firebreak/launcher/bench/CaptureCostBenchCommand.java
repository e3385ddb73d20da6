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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
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
 * unwatched twin, in alternating rounds, with {@code synchronous_commit} on and off; the pipeline
 * JVM's CPU idle, at a paced 2,000 UPDATEs per second and under pgbench; and the DROP TABLE capture
 * latency. Figures, never assertions. Exits 0 when every run completed, 1 otherwise.
 */
@Command(name = "capture-cost-bench", mixinStandardHelpOptions = true,
        description = "Start the embedded stack and pipeline, load a watched and an unwatched database with pgbench in "
                + "alternating rounds (synchronous_commit on and off) and print their TPS and ratio, the pipeline JVM's "
                + "CPU (idle, paced UPDATEs, under pgbench) and the DROP TABLE capture latency. "
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

    /** One pgbench run, the JVM's CPU and the cluster's WAL counters during it. */
    record Run(String database, Pgbench.Result pgbench, JvmCpu.Usage cpu, WalStats wal) {
        /** {@code counter} per transaction pgbench processed; NaN when it printed no count. */
        double perTransaction(ToLongFunction<WalStats> counter) {
            long transactions = pgbench.transactions();
            return transactions > 0 ? (double) counter.applyAsLong(wal) / transactions : Double.NaN;
        }
    }

    /** One watched and one unwatched run back to back; {@code watchedFirst} alternates between rounds. */
    record Round(String synchronousCommit, int number, boolean watchedFirst, Run watched, Run unwatched) {
        double ratio() {
            return watched.pgbench().tps() / unwatched.pgbench().tps();
        }

        /**
         * The JVM's CPU per captured statement, in ms, above what it used while the unwatched twin
         * ran: that run saw the same contention for the two cores with nothing to capture, a fairer
         * baseline than idle, when the pipeline's polling loops get a core to themselves.
         */
        double jvmMsPerCapturedStatement() {
            return perStatementMs(watched.cpu().cores(), unwatched.cpu().cores(),
                    watched.pgbench().tps() * CAPTURED_PER_TRANSACTION);
        }
    }

    /** Everything measured; a part the deadline cut is null or shorter than planned. */
    private record Outcome(Map<String, String> server, String pgbenchVersion, JvmCpu.Usage idle, PacedUpdates.Result paced,
                           JvmCpu.Usage pacedCpu, PathResult drop, List<GuardLatency.Sample> guard, List<Round> rounds,
                           List<String> problems) {
    }

    @Override
    public Integer call() throws Exception {
        validate();
        stackOptions.defaultSetting(ROUTINE_KEY, routine);
        BenchRun run = BenchRun.start(timeoutSeconds);
        Deadline deadline = run.deadline();
        try (Lifecycle lifecycle = new Lifecycle()) {
            PipelineRig rig = PipelineRig.start(lifecycle, stackOptions, run.progress());
            Outcome outcome = measure(rig, deadline, run.progress());
            print(outcome, rig, deadline, run.elapsedSeconds());
            if (json) {
                System.out.println(toJson(outcome, rig.settings().ingest().pollIntervalMs()));
            }
            boolean complete = outcome.problems().isEmpty() && outcome.rounds().size() == rounds * SYNCHRONOUS_COMMIT.size();
            return complete && !deadline.passed() ? 0 : 1;
        }
    }

    private void validate() {
        if (!Files.isExecutable(pgbenchPath)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pgbench: " + pgbenchPath + " is not executable");
        }
        if (rounds < 1 || seconds < 1 || clients < 1 || threads < 1 || scale < 1 || idleSeconds < 1 || pacedRate < 1
                || pacedSeconds < 1 || drops < 1 || dropWarmup < 0 || timeoutSeconds < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "counts, rates and durations must be positive "
                    + "(--drop-warmup may be 0)");
        }
        if (threads > clients) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must not exceed --clients (pgbench refuses it)");
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
            if (!rig.settings().ingest().routineSummarized()) {
                st.execute("ALTER DATABASE " + WATCHED + " SET pg_stat_statements.track = 'none'");
            }
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
        List<Round> done = runRounds(pgbench, postgres, deadline, progress, problems);
        return new Outcome(server, pgbench.version(), idle, paced, pacedCpu, drop, guard, done, problems);
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
            return runRounds(pgbench, stats, deadline, progress, problems);
        }
    }

    private List<Round> runRounds(Pgbench pgbench, Connection stats, Deadline deadline, Timeline progress, List<String> problems)
            throws Exception {
        List<Round> done = new ArrayList<>();
        for (String sync : SYNCHRONOUS_COMMIT) {
            for (int number = 1; number <= rounds; number++) {
                // Swapping the order every round cancels what drifts over the run (checkpoints,
                // autovacuum, table growth, other load on the machine) from the ratio's median.
                boolean watchedFirst = number % 2 == 1;
                Run first = null;
                Run second = null;
                for (String database : watchedFirst ? List.of(WATCHED, UNWATCHED) : List.of(UNWATCHED, WATCHED)) {
                    if (deadline.remaining().toSeconds() < seconds + 5L) {
                        problems.add("the timeout cut the rounds after " + done.size() + " of " + rounds * SYNCHRONOUS_COMMIT.size());
                        return done;
                    }
                    progress.event("bench", String.format(Locale.ROOT, "synchronous_commit=%s round %d/%d: pgbench %s",
                            sync, number, rounds, database));
                    WalStats walBefore = WalStats.read(stats);
                    JvmCpu cpu = JvmCpu.start();
                    Pgbench.Result result = pgbench.run(database, clients, threads, seconds, sync);
                    JvmCpu.Usage used = cpu.stop();
                    Run run = new Run(database, result, used,
                            WalStats.readAfterExit(stats, Pgbench.APPLICATION_NAME).minus(walBefore));
                    if (!result.complete()) {
                        problems.add("synchronous_commit=" + sync + " round " + number + " " + database + ": " + result.problem());
                        LOG.warn("pgbench on {} did not complete:\n{}", database, result.output());
                    }
                    progress.event("bench", String.format(Locale.ROOT, "  %.0f tps, JVM %.2f cores", result.tps(), run.cpu().cores()));
                    if (first == null) {
                        first = run;
                    } else {
                        second = run;
                    }
                }
                done.add(watchedFirst ? new Round(sync, number, true, first, second) : new Round(sync, number, false, second, first));
            }
        }
        return done;
    }

    private void print(Outcome o, PipelineRig rig, Deadline deadline, double elapsedSeconds) {
        BenchReport report = new BenchReport(System.out);
        report.settings(String.format(Locale.ROOT, "pgbench scale=%d, clients=%d, threads=%d, %d s per run, %d rounds per "
                        + "synchronous_commit (%s), -M prepared, built-in TPC-B-like script (3 UPDATEs, 1 SELECT, 1 INSERT "
                        + "per transaction), -n, initialised as %s, run as the ordinary role %s (guarded in the watched "
                        + "database); %s",
                scale, clients, threads, seconds, rounds, String.join(", ", SYNCHRONOUS_COMMIT), PostgresService.SUPERUSER,
                Pgbench.APP_ROLE,
                o.pgbenchVersion()));
        report.note(String.format(Locale.ROOT, "  databases: watched %s (Firebreak's capture installed, the pipeline's ingest "
                + "reads it; routine DELETE/UPDATE captured by %s%s), unwatched %s (nothing installed, "
                + "pg_stat_statements.track=none); same cluster, same server settings", WATCHED,
                rig.settings().ingest().dmlRoutine(), rig.settings().ingest().routineSummarized()
                        ? " every " + rig.settings().ingest().dmlSummaryIntervalMs() + " ms, pg_stat_statements.track=all"
                        : ", pg_stat_statements.track=none", UNWATCHED));
        report.note("  server: " + o.server().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .reduce((a, b) -> a + ", " + b).orElse("-") + "; synchronous_commit per run through PGOPTIONS");
        report.note(String.format(Locale.ROOT, "  pipeline: ingest poll.interval.ms=%d, Kafka brokers=%d, cluster=%s, overrides=%s; "
                        + "JVM %s, GC %s, %d CPUs",
                rig.settings().ingest().pollIntervalMs(), stackOptions.brokers(), stackOptions.cluster(), stackOptions.overrides(),
                Runtime.version(), CaptureBenchCommand.garbageCollectors(), Runtime.getRuntime().availableProcessors()));

        String row = "%-6s %-5s %-10s %12s %12s %7s %10s %10s%n";
        System.out.printf(Locale.ROOT, "%npgbench TPS, watched vs unwatched, run back to back; the order swaps every round%n");
        System.out.printf(Locale.ROOT, row, "sync", "round", "first", "watched", "unwatched", "ratio", "JVM cores", "JVM cores");
        System.out.printf(Locale.ROOT, row, "commit", "", "", "tps", "tps", "w/u", "watched", "unwatched");
        for (String sync : SYNCHRONOUS_COMMIT) {
            List<Round> of = o.rounds().stream().filter(r -> r.synchronousCommit().equals(sync)).toList();
            for (Round r : of) {
                System.out.printf(Locale.ROOT, row, sync, r.number(), r.watchedFirst() ? "watched" : "unwatched",
                        fixed(r.watched().pgbench().tps(), 1), fixed(r.unwatched().pgbench().tps(), 1), fixed(r.ratio(), 3),
                        fixed(r.watched().cpu().cores(), 2), fixed(r.unwatched().cpu().cores(), 2));
            }
            if (!of.isEmpty()) {
                System.out.printf(Locale.ROOT, row, sync, "median", "", fixed(median(of, r -> r.watched().pgbench().tps()), 1),
                        fixed(median(of, r -> r.unwatched().pgbench().tps()), 1), fixed(median(of, Round::ratio), 3),
                        fixed(median(of, r -> r.watched().cpu().cores()), 2), fixed(median(of, r -> r.unwatched().cpu().cores()), 2));
            }
        }
        report.note("  tps: pgbench's \"without initial connection time\"; ratio: watched / unwatched of the same round, "
                + "median per setting; JVM cores: this JVM's CPU seconds during the run / its wall time");

        printWal(o.rounds());

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
                        CAPTURED_PER_TRANSACTION + " captured UPDATEs per transaction; ms above the unwatched run");
                System.out.printf(Locale.ROOT, cpuRow, "pgbench on " + UNWATCHED + ", synchronous_commit=" + sync + ", median",
                        fixed(median(of, r -> r.unwatched().cpu().cores()), 3), "0", "", "nothing captured: the baseline");
            }
        }
        printThreads("idle", o.idle());
        printThreads("paced UPDATEs", o.pacedCpu());
        report.note("  ms/statement: the JVM's CPU per captured statement, (cores - baseline cores) * 1000 / captured "
                + "statements per second; baseline: idle for the paced load, the same round's unwatched run for pgbench "
                + "(median of the rounds)");
        report.note("  the JVM hosts the pipeline (Debezium ingest, Kafka Streams detection, kill switch) and the embedded "
                + "Kafka broker; during the paced load also the bench's own JDBC loop. PostgreSQL (with the walsender "
                + "that decodes for ingest), pgbench and the registry are separate processes, not counted.");

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

    private static void printWal(List<Round> all) {
        if (all.isEmpty()) {
            return;
        }
        String row = "%-6s %-16s %10s %10s %12s%n";
        System.out.printf(Locale.ROOT, "%nWAL per transaction, median of the rounds (pg_stat_wal over each run / transactions)%n");
        System.out.printf(Locale.ROOT, row, "sync", "database", "syncs/tx", "bytes/tx", "records/tx");
        for (String sync : SYNCHRONOUS_COMMIT) {
            List<Round> of = all.stream().filter(r -> r.synchronousCommit().equals(sync)).toList();
            if (of.isEmpty()) {
                continue;
            }
            for (boolean watched : List.of(true, false)) {
                Function<Round, Run> run = watched ? Round::watched : Round::unwatched;
                System.out.printf(Locale.ROOT, row, sync, watched ? WATCHED : UNWATCHED,
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
        root.put("scale", scale).put("clients", clients).put("threads", threads).put("seconds", seconds).put("rounds", rounds);
        ObjectNode server = root.putObject("server");
        o.server().forEach(server::put);
        root.put("poll_interval_ms", pollIntervalMs);
        root.put("routine_dml", stackOptions.overrides().get(ROUTINE_KEY));
        ObjectNode perSync = root.putObject("synchronous_commit");
        for (String sync : SYNCHRONOUS_COMMIT) {
            List<Round> of = o.rounds().stream().filter(r -> r.synchronousCommit().equals(sync)).toList();
            ObjectNode node = perSync.putObject(sync);
            ArrayNode watched = node.putArray("watched_tps");
            ArrayNode unwatched = node.putArray("unwatched_tps");
            ArrayNode ratios = node.putArray("ratio");
            ArrayNode cores = node.putArray("jvm_cores_watched");
            ArrayNode msPerStatement = node.putArray("jvm_ms_per_captured_statement");
            ArrayNode syncsWatched = node.putArray("wal_syncs_per_tx_watched");
            ArrayNode syncsUnwatched = node.putArray("wal_syncs_per_tx_unwatched");
            for (Round r : of) {
                watched.add(round(r.watched().pgbench().tps(), 1));
                unwatched.add(round(r.unwatched().pgbench().tps(), 1));
                ratios.add(round(r.ratio(), 3));
                msPerStatement.add(round(r.jvmMsPerCapturedStatement(), 3));
                cores.add(round(r.watched().cpu().cores(), 3));
                syncsWatched.add(round(r.watched().perTransaction(WalStats::syncs), 2));
                syncsUnwatched.add(round(r.unwatched().perTransaction(WalStats::syncs), 2));
            }
            if (!of.isEmpty()) {
                node.put("median_ratio", round(median(of, Round::ratio), 3));
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

    /** Median of the rounds' values; the mean of the middle two for an even count. */
    static double median(List<Round> of, ToDoubleFunction<Round> value) {
        double[] sorted = of.stream().mapToDouble(value).sorted().toArray();
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
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
