package dev.firebreak.launcher.bench;

import dev.firebreak.stack.PostgresService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL's own load generator, {@code pgbench}, run as a child process against one database of
 * the embedded server as its superuser, and the summary it prints. The standard TPC-B-like script
 * runs three single-row UPDATEs per transaction, which is the statement shape capture pays for.
 */
final class Pgbench {
    private static final Logger LOG = LoggerFactory.getLogger(Pgbench.class);
    // pgbench 14 and later print one tps line "(without initial connection time)"; older ones
    // printed two, "including" and "excluding connections establishing": the latter compares.
    private static final Pattern TPS = Pattern.compile(
            "(?m)^tps = ([0-9.]+) \\((?:without initial connection time|excluding connections establishing)\\)");
    private static final Pattern ANY_TPS = Pattern.compile("(?m)^tps = ([0-9.]+)");
    private static final Pattern PROCESSED = Pattern.compile("(?m)^number of transactions actually processed: (\\d+)");
    private static final Pattern FAILED = Pattern.compile("(?m)^number of failed transactions: (\\d+)");
    private static final Pattern LATENCY = Pattern.compile("(?m)^latency average = ([0-9.]+) ms");
    private static final String ABORTED = "Run was aborted";
    /** The {@code application_name} of pgbench's sessions, set explicitly so the bench can find them. */
    static final String APPLICATION_NAME = "pgbench";
    /** The ordinary role the load runs as, in both databases: guarded where the guard is installed. */
    static final String APP_ROLE = "bench_app";
    static final String APP_PASSWORD = "bench_app";

    /**
     * What one run printed.
     *
     * @param tps              transactions per second without connection set-up; NaN when pgbench printed none
     * @param latencyAverageMs average transaction latency; NaN when not printed
     * @param transactions     transactions processed; -1 when not printed
     * @param failed           failed transactions (pgbench 15 and later); 0 when not printed
     * @param exitCode         pgbench's exit status: 0 ok, 2 when a client aborted (the figures are partial)
     * @param output           everything pgbench printed, for the error report
     */
    record Result(double tps, double latencyAverageMs, long transactions, long failed, int exitCode, String output) {
        /** Whether the run finished with every client and printed its throughput. */
        boolean complete() {
            return exitCode == 0 && !Double.isNaN(tps) && !output.contains(ABORTED);
        }

        /** The first line that says what went wrong, for the report. */
        String problem() {
            return output.lines().filter(l -> l.contains("ERROR") || l.contains("FATAL") || l.contains("aborted")
                    || l.startsWith("pgbench: error")).findFirst().orElse("exit code " + exitCode);
        }
    }

    private final Path executable;
    private final PostgresService postgres;

    Pgbench(Path executable, PostgresService postgres) {
        this.executable = executable;
        this.postgres = postgres;
    }

    /** Reads pgbench's summary; the lines it does not know are ignored. */
    static Result parse(String output, int exitCode) {
        Matcher tps = TPS.matcher(output);
        double throughput = tps.find() ? Double.parseDouble(tps.group(1)) : firstDouble(ANY_TPS, output);
        return new Result(throughput, firstDouble(LATENCY, output), firstLong(PROCESSED, output, -1),
                firstLong(FAILED, output, 0), exitCode, output);
    }

    /** {@code pgbench --version}, e.g. "pgbench (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)". */
    String version() throws IOException, InterruptedException {
        return execute(List.of("--version"), null, Duration.ofSeconds(10), PostgresService.SUPERUSER,
                PostgresService.SUPERUSER_PASSWORD).output().strip();
    }

    /** Creates and fills pgbench's four tables in {@code database} at {@code scale} (100,000 accounts per unit). */
    Result initialize(String database, int scale, Duration timeout) throws IOException, InterruptedException {
        return execute(List.of("-i", "-q", "-s", Integer.toString(scale), database), null, timeout,
                PostgresService.SUPERUSER, PostgresService.SUPERUSER_PASSWORD);
    }

    /**
     * Runs the built-in TPC-B-like script with prepared statements for {@code seconds}.
     *
     * @param synchronousCommit the session's {@code synchronous_commit}, set through {@code PGOPTIONS}
     *                          so that it applies to this run only
     */
    Result run(String database, int clients, int threads, int seconds, String synchronousCommit)
            throws IOException, InterruptedException {
        return load(loadArguments(database, clients, threads, seconds, List.of()), seconds, synchronousCommit);
    }

    /**
     * Runs {@code script} (a pgbench script file) instead of the built-in one, with prepared
     * statements for {@code seconds}; {@code variables} are set with -D.
     */
    Result runScript(String database, Path script, Map<String, String> variables, int clients, int threads, int seconds,
                     String synchronousCommit) throws IOException, InterruptedException {
        List<String> scriptArgs = new ArrayList<>(List.of("-f", script.toString()));
        variables.forEach((name, value) -> scriptArgs.addAll(List.of("-D", name + "=" + value)));
        return load(loadArguments(database, clients, threads, seconds, scriptArgs), seconds, synchronousCommit);
    }

    /** A timed load as the load role, synchronous_commit set through PGOPTIONS for this run only. */
    private Result load(List<String> args, int seconds, String synchronousCommit) throws IOException, InterruptedException {
        return execute(args, "-c synchronous_commit=" + synchronousCommit, Duration.ofSeconds(seconds + 60L), APP_ROLE, APP_PASSWORD);
    }

    /** pgbench's arguments for a timed load: the built-in TPC-B-like script unless {@code scriptArgs} name one. */
    static List<String> loadArguments(String database, int clients, int threads, int seconds, List<String> scriptArgs) {
        // -n: no vacuum and no TRUNCATE of pgbench_history before the run; the role running the load
        // owns the tables but is not a superuser, and a growing history does not change the TPC-B shape.
        List<String> args = new ArrayList<>(List.of("-n", "-M", "prepared", "-c", Integer.toString(clients), "-j",
                Integer.toString(threads), "-T", Integer.toString(seconds)));
        args.addAll(scriptArgs);
        args.add(database);
        return List.copyOf(args);
    }

    private Result execute(List<String> args, String pgOptions, Duration timeout, String user, String password)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(args);
        // Output to a file rather than a pipe: nothing to drain, and a hung pgbench cannot block the reader.
        Path log = Files.createTempFile("firebreak-pgbench", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = builder.environment();
            env.put("PGHOST", postgres.host());
            env.put("PGPORT", Integer.toString(postgres.port()));
            env.put("PGUSER", user);
            env.put("PGPASSWORD", password);
            env.put("PGAPPNAME", APPLICATION_NAME);
            if (pgOptions != null) {
                env.put("PGOPTIONS", pgOptions);
            } else {
                env.remove("PGOPTIONS");
            }
            LOG.debug("running {} (PGOPTIONS={})", command, pgOptions);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                String output = Files.readString(log, StandardCharsets.UTF_8);
                return new Result(Double.NaN, Double.NaN, -1, 0, -1, output + "\n" + ABORTED + ": killed after " + timeout);
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            LOG.debug("pgbench printed:\n{}", output);
            return parse(output, process.exitValue());
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static double firstDouble(Pattern pattern, String output) {
        Matcher m = pattern.matcher(output);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static long firstLong(Pattern pattern, String output, long absent) {
        Matcher m = pattern.matcher(output);
        return m.find() ? Long.parseLong(m.group(1)) : absent;
    }
}
