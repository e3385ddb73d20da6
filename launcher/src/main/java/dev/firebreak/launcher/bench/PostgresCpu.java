package dev.firebreak.launcher.bench;

import dev.firebreak.stack.PostgresService;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * CPU seconds of PostgreSQL's processes over a run, from {@code /proc}: the postmaster and every
 * child of it, counted whole and exactly, also the backends that ended during the run (the
 * postmaster reaps them, so their CPU lands in its {@code cutime}/{@code cstime}). CPU seconds,
 * unlike TPS, hardly move when other work shares the cores, so the per-transaction figures
 * compare runs on a busy machine.
 *
 * <p>Split three ways: the walsenders serving the watched database's logical slots (they decode all
 * of the cluster's WAL for ingest), the backends that ended during the run (pgbench's sessions, and
 * any autovacuum worker that finished meanwhile), and the rest of the server (walwriter,
 * checkpointer, the pipeline's own sessions, autovacuum launcher, postmaster). The pgbench client,
 * a child of this JVM, is counted from this JVM's reaped children.
 *
 * <p>Only a server on this machine, in this pid namespace, can be measured: {@link #locate} checks
 * that a backend's parent is the postmaster named in {@code postmaster.pid}.
 */
final class PostgresCpu {
    private static final Path PROC = Path.of("/proc");
    private static final long SETTLE_NANOS = 2_000_000_000L;

    private final int postmaster;
    private final double ticksPerSecond;

    /**
     * CPU seconds over one run.
     *
     * @param wallSeconds   wall time the load ran
     * @param walsender     the slot's walsenders
     * @param endedBackends children that ended during the run: the load's sessions (and autovacuum workers)
     * @param otherServer   every other server process, the postmaster included
     * @param loadClient    the load generator's own process (pgbench), a child of this JVM
     */
    record Usage(double wallSeconds, double walsender, double endedBackends, double otherServer, double loadClient) {
        /** Everything PostgreSQL's processes used. */
        double server() {
            return walsender + endedBackends + otherServer;
        }

        /** Average cores of {@code seconds} over the run. */
        double cores(double seconds) {
            return wallSeconds > 0 ? seconds / wallSeconds : Double.NaN;
        }

        /** Milliseconds of {@code seconds} per transaction; NaN without transactions. */
        static double msPer(double seconds, long transactions) {
            return transactions > 0 ? seconds * 1000 / transactions : Double.NaN;
        }
    }

    /** The processes at one moment. */
    record Snapshot(ProcStat postmaster, Map<Integer, ProcStat> children, ProcStat self) {
    }

    private PostgresCpu(int postmaster, long ticksPerSecond) {
        this.postmaster = postmaster;
        this.ticksPerSecond = ticksPerSecond;
    }

    /**
     * The server's processes when they can be read from here: a server in this machine's pid
     * namespace whose backend is a child of the postmaster its data directory names. Empty for a
     * container or without /proc.
     */
    static Optional<PostgresCpu> locate(PostgresService postgres, Connection connection) throws SQLException {
        Optional<Path> dataDirectory = postgres.localDataDirectory();
        if (dataDirectory.isEmpty() || !Files.isDirectory(PROC)) {
            return Optional.empty();
        }
        int postmasterPid;
        try {
            postmasterPid = Integer.parseInt(Files.readAllLines(dataDirectory.get().resolve("postmaster.pid")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        int backend;
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            backend = rs.getInt(1);
        }
        Optional<ProcStat> stat = ProcStat.read(PROC, backend);
        if (stat.isEmpty() || stat.get().ppid() != postmasterPid) {
            return Optional.empty();
        }
        return Optional.of(new PostgresCpu(postmasterPid, ProcStat.clockTicksPerSecond()));
    }

    /** The pids of the walsenders serving the logical slots of {@code database}. */
    static Set<Integer> walsenders(Connection connection, String database) throws SQLException {
        Set<Integer> pids = new HashSet<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT active_pid FROM pg_replication_slots "
                + "WHERE slot_type = 'logical' AND database = ? AND active_pid IS NOT NULL")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pids.add(rs.getInt(1));
                }
            }
        }
        return pids;
    }

    /** The postmaster, its children and this JVM, now. */
    Snapshot snapshot() {
        ProcStat master = ProcStat.read(PROC, postmaster)
                .orElseThrow(() -> new IllegalStateException("the postmaster " + postmaster + " is gone"));
        Map<Integer, ProcStat> children = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
            for (Path entry : entries) {
                ProcStat.read(PROC, Integer.parseInt(entry.getFileName().toString()))
                        .filter(s -> s.ppid() == postmaster)
                        .ifPresent(s -> children.put(s.pid(), s));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        ProcStat self = ProcStat.read(PROC, (int) ProcessHandle.current().pid())
                .orElseThrow(() -> new IllegalStateException("cannot read this JVM's /proc stat"));
        return new Snapshot(master, children, self);
    }

    /**
     * Waits (at most 2 s) until every child of the postmaster that started after {@code start} is
     * one the server still lists in pg_stat_activity: a session that has left it but whose process
     * has not been reaped yet would be counted with the server's other processes, not with the
     * backends that ended. Process titles would tell too, but depend on settings.
     */
    void awaitEndedSessionsReaped(Snapshot start, Connection connection) throws SQLException, InterruptedException {
        long until = System.nanoTime() + SETTLE_NANOS;
        try (PreparedStatement ps = connection.prepareStatement("SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL")) {
            while (System.nanoTime() < until) {
                Set<Integer> listed = new HashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        listed.add(rs.getInt(1));
                    }
                }
                if (unlisted(start, snapshot(), listed).isEmpty()) {
                    return;
                }
                Thread.sleep(10);
            }
        }
    }

    /** Children started after {@code start} that the server does not list (any more): sessions still exiting. */
    static Set<Integer> unlisted(Snapshot start, Snapshot now, Set<Integer> listed) {
        Set<Integer> pids = new HashSet<>();
        for (ProcStat child : now.children().values()) {
            if (!child.sameProcess(start.children().get(child.pid())) && !listed.contains(child.pid())) {
                pids.add(child.pid());
            }
        }
        return pids;
    }

    /** What was used between two snapshots; {@code walsenders} are the slot's walsender pids. */
    Usage between(Snapshot start, Snapshot end, Set<Integer> walsenders, double wallSeconds) {
        return usage(start, end, walsenders, wallSeconds, ticksPerSecond);
    }

    /**
     * The arithmetic of {@link #between}, pure. A child alive at both ends counts its growth; one
     * that started meanwhile counts whole; one that ended meanwhile is in the postmaster's reaped
     * ticks with its whole life, so what it had used before the start is taken off again.
     */
    static Usage usage(Snapshot start, Snapshot end, Set<Integer> walsenders, double wallSeconds, double ticksPerSecond) {
        long walsender = 0;
        long other = end.postmaster().ownTicks() - start.postmaster().ownTicks();
        long ended = end.postmaster().childTicks() - start.postmaster().childTicks();
        for (ProcStat now : end.children().values()) {
            ProcStat before = start.children().get(now.pid());
            long used = now.ownTicks() - (now.sameProcess(before) ? before.ownTicks() : 0);
            if (walsenders.contains(now.pid())) {
                walsender += used;
            } else {
                other += used;
            }
        }
        for (ProcStat before : start.children().values()) {
            if (!before.sameProcess(end.children().get(before.pid()))) {
                ended -= before.ownTicks();
            }
        }
        long client = end.self().childTicks() - start.self().childTicks();
        return new Usage(wallSeconds, walsender / ticksPerSecond, Math.max(0, ended) / ticksPerSecond,
                other / ticksPerSecond, client / ticksPerSecond);
    }

    private static boolean isPid(String name) {
        if (name.isEmpty() || name.length() > 10) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
