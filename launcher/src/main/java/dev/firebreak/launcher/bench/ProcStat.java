package dev.firebreak.launcher.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One line of Linux's {@code /proc/<pid>/stat}: a process's parent and the CPU it and its reaped
 * children used, in clock ticks ({@code getconf CLK_TCK}, 100 on every common kernel). The bench
 * reads PostgreSQL's processes through it, which {@link JvmCpu} cannot see.
 *
 * @param pid       process id
 * @param comm      executable name as the kernel keeps it (PostgreSQL's process titles do not change it)
 * @param ppid      parent process id
 * @param utime     user CPU of the process, ticks
 * @param stime     system CPU of the process, ticks
 * @param cutime    user CPU of its children that ended and were waited for, ticks
 * @param cstime    system CPU of those children, ticks
 * @param startTime when the process started, ticks after boot: tells a reused pid from the process it had before
 */
record ProcStat(int pid, String comm, int ppid, long utime, long stime, long cutime, long cstime, long startTime) {
    /** Fields after the closing parenthesis of comm: state is 0, so field n of proc(5) is n - 3. */
    private static final int PPID = 1;
    private static final int UTIME = 11;
    private static final int STIME = 12;
    private static final int CUTIME = 13;
    private static final int CSTIME = 14;
    private static final int STARTTIME = 19;
    /** The longest line the kernel writes is about 400 bytes; anything much longer is not a stat line. */
    private static final int MAX_LENGTH = 4096;

    /**
     * Parses one stat line. comm may hold spaces and parentheses, so it runs to the last {@code ')'}.
     *
     * @throws IllegalArgumentException when the line is not a stat line
     */
    static ProcStat parse(String line) {
        if (line == null || line.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + (line == null ? "null" : "too long"));
        }
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        if (open < 1 || close < open) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: no (comm)");
        }
        String[] rest = line.substring(close + 1).trim().split("\\s+");
        if (rest.length <= STARTTIME) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + rest.length + " fields after comm");
        }
        try {
            return new ProcStat(Integer.parseInt(line.substring(0, open).trim()), line.substring(open + 1, close),
                    Integer.parseInt(rest[PPID]), Long.parseLong(rest[UTIME]), Long.parseLong(rest[STIME]),
                    Long.parseLong(rest[CUTIME]), Long.parseLong(rest[CSTIME]), Long.parseLong(rest[STARTTIME]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + e.getMessage(), e);
        }
    }

    /** The process's stat now; empty when it has ended (or /proc is not there). */
    static Optional<ProcStat> read(Path proc, int pid) {
        try {
            return Optional.of(parse(Files.readString(proc.resolve(Integer.toString(pid)).resolve("stat"), StandardCharsets.US_ASCII)));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Ticks of the process itself. */
    long ownTicks() {
        return utime + stime;
    }

    /** Ticks of the children it reaped. */
    long childTicks() {
        return cutime + cstime;
    }

    /** Whether {@code other} is the same process at another time (same pid and start), not a reused pid. */
    boolean sameProcess(ProcStat other) {
        return other != null && pid == other.pid && startTime == other.startTime;
    }

    /**
     * Clock ticks per second, from {@code getconf CLK_TCK}: the unit of the stat fields. Falls back to
     * 100 (what Linux uses on x86 and arm64) when getconf cannot be run.
     */
    static long clockTicksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            return p.waitFor() == 0 ? parseClockTicks(out) : 100;
        } catch (IOException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    /** getconf's answer, or 100 when it is no positive number. */
    static long parseClockTicks(String getconfOutput) {
        try {
            long ticks = Long.parseLong(getconfOutput.trim());
            return ticks > 0 ? ticks : 100;
        } catch (NumberFormatException e) {
            return 100;
        }
    }
}
