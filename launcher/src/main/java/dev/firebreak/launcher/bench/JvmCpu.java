package dev.firebreak.launcher.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CPU time this JVM used over a stretch of wall time, from
 * {@link com.sun.management.OperatingSystemMXBean#getProcessCpuTime()}: every thread of this process
 * (user and system time), not its child processes. PostgreSQL, pgbench and the registry run as
 * other processes and are not in it.
 *
 * <p>The embedded Kafka broker runs in this JVM too, which production runs elsewhere. Its threads
 * are told apart by name ({@link #BROKER_THREAD}), so the pipeline's own share can be reported: the
 * CPU of every other Java thread. What no Java thread accounts for (garbage collection, the JIT
 * compiler) is reported on its own.
 */
final class JvmCpu {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /**
     * Threads of the in-JVM Kafka broker and its KRaft controller, as Kafka 3.9/4.x names them. The
     * pipeline's own Kafka clients ({@code kafka-producer-network-thread}, {@code StreamThread},
     * {@code kafka-coordinator-heartbeat-thread}) do not match.
     */
    static final Pattern BROKER_THREAD = Pattern.compile("^(data-plane-|controller-|broker-|kafka-request-handler|"
            + "kafka-network-thread|kafka-socket-acceptor|kafka-scheduler|kafka-log-cleaner|kafka-\\d+-raft|raft-|"
            + "quorum-controller|group-coordinator|share-coordinator|transaction-|TxnMarkerSenderThread|ExpirationReaper|"
            + "ThrottledChannelReaper|LogDirFailureHandler|ReplicaFetcherThread|ReplicaAlterLogDirsThread|"
            + "metrics-meter-tick-thread|kafka-purgatory|AlterPartition|client-metrics|node-).*");

    /**
     * CPU used over a wall-clock interval.
     *
     * @param cpuSeconds    CPU seconds of this JVM in the interval
     * @param wallSeconds   length of the interval
     * @param brokerSeconds CPU seconds of the broker's threads
     * @param benchSeconds  CPU seconds of the thread that measured (a bench's own load loop runs on it)
     * @param threadSeconds CPU seconds of every live Java thread (broker and bench included)
     * @param top           the busiest threads, most CPU first
     */
    record Usage(double cpuSeconds, double wallSeconds, double brokerSeconds, double benchSeconds, double threadSeconds,
                 List<ThreadCpu> top) {

        /** Average cores busy: CPU seconds per wall second. */
        double cores() {
            return wallSeconds > 0 ? cpuSeconds / wallSeconds : Double.NaN;
        }

        /** Cores of the broker's threads. */
        double brokerCores() {
            return wallSeconds > 0 ? brokerSeconds / wallSeconds : Double.NaN;
        }

        /** Cores of the pipeline's own Java threads: every thread but the broker's and the bench's. */
        double pipelineCores() {
            return wallSeconds > 0 ? (threadSeconds - brokerSeconds - benchSeconds) / wallSeconds : Double.NaN;
        }

        /** Cores no Java thread accounts for: garbage collection, JIT, threads that ended meanwhile. */
        double jvmCores() {
            return wallSeconds > 0 ? Math.max(0, cpuSeconds - threadSeconds) / wallSeconds : Double.NaN;
        }
    }

    /** One thread's CPU over the interval. */
    record ThreadCpu(String name, double cores, boolean broker) {
    }

    private final long cpuStartNanos;
    private final long wallStartNanos;
    private final Map<Long, Long> threadStartNanos;
    private final long benchThread = Thread.currentThread().getId();

    private JvmCpu() {
        this.threadStartNanos = threadCpu();
        this.cpuStartNanos = OS.getProcessCpuTime();
        this.wallStartNanos = System.nanoTime();
    }

    /** Starts measuring now. */
    static JvmCpu start() {
        return new JvmCpu();
    }

    /** What was used since {@link #start()}. */
    Usage stop() {
        long cpuNanos = OS.getProcessCpuTime() - cpuStartNanos;
        long wallNanos = System.nanoTime() - wallStartNanos;
        Map<Long, Long> now = threadCpu();
        double wall = wallNanos / 1e9;
        double broker = 0;
        double bench = 0;
        double threads = 0;
        List<ThreadCpu> all = new ArrayList<>();
        for (ThreadInfo info : THREADS.getThreadInfo(now.keySet().stream().mapToLong(Long::longValue).toArray())) {
            if (info == null) {
                continue;
            }
            long used = now.get(info.getThreadId()) - threadStartNanos.getOrDefault(info.getThreadId(), 0L);
            boolean isBroker = BROKER_THREAD.matcher(info.getThreadName()).matches();
            threads += used / 1e9;
            broker += isBroker ? used / 1e9 : 0;
            bench += info.getThreadId() == benchThread ? used / 1e9 : 0;
            all.add(new ThreadCpu(info.getThreadName(), used / 1e9 / wall, isBroker));
        }
        all.sort(Comparator.comparingDouble(ThreadCpu::cores).reversed());
        return new Usage(cpuNanos / 1e9, wall, broker, bench, threads, List.copyOf(all.subList(0, Math.min(12, all.size()))));
    }

    private static Map<Long, Long> threadCpu() {
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            long nanos = THREADS.getThreadCpuTime(id);
            if (nanos >= 0) {
                cpu.put(id, nanos);
            }
        }
        return cpu;
    }
}
