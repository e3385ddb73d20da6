package dev.firebreak.launcher.bench;

import java.lang.management.ManagementFactory;

/**
 * CPU time this JVM used over a stretch of wall time, from
 * {@link com.sun.management.OperatingSystemMXBean#getProcessCpuTime()}: every thread of this process
 * (user and system time), not its child processes. PostgreSQL, pgbench and the registry run as
 * other processes and are not in it.
 */
final class JvmCpu {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /**
     * CPU used over a wall-clock interval.
     *
     * @param cpuSeconds  CPU seconds of this JVM in the interval
     * @param wallSeconds length of the interval
     */
    record Usage(double cpuSeconds, double wallSeconds) {
        /** Average cores busy: CPU seconds per wall second. */
        double cores() {
            return wallSeconds > 0 ? cpuSeconds / wallSeconds : Double.NaN;
        }
    }

    private final long cpuStartNanos;
    private final long wallStartNanos;

    private JvmCpu() {
        this.cpuStartNanos = OS.getProcessCpuTime();
        this.wallStartNanos = System.nanoTime();
    }

    /** Starts measuring now. */
    static JvmCpu start() {
        return new JvmCpu();
    }

    /** What was used since {@link #start()}. */
    Usage stop() {
        return new Usage((OS.getProcessCpuTime() - cpuStartNanos) / 1e9, (System.nanoTime() - wallStartNanos) / 1e9);
    }
}
