package dev.firebreak.launcher.bench;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.schema.RevokeCommand;
import java.io.PrintStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Prints the detection bench's settings, one row per run, the bursts by kind and how to read them. */
final class DetectionBenchReport {
    private static final String ROW = "%-10s %5s %10s %6s %10s %7s %7s  %6s %6s %4s %5s %8s %8s  %9s %9s %9s%n";
    private static final double MIB = 1024.0 * 1024.0;
    private final PrintStream out;

    DetectionBenchReport(PrintStream out) {
        this.out = out;
    }

    void print(DetectionBenchCommand command, DetectionWorkload workload, DetectionBenchCommand.Produced produced,
               RawConsumerRun raw, List<DetectionRunner.Result> results, DetectionConfig config, BenchRun run) {
        DetectionWorkload.Stats stats = produced.stats();
        out.printf(Locale.ROOT, "detection-bench: %s; %,d distinct principals seen; %d bursts of %d DROP TABLE events"
                        + " (rule %s)%n", command.describeSettings(), produced.distinctPrincipals(),
                workload.answerKey().size(), workload.burstSize(), DetectionWorkload.BURST_RULE);
        out.printf(Locale.ROOT, "settings: production DetectionService per instance (%d %s rules, baselines %s, re-issue %s),"
                + " %s; 1 Kafka broker (KRaft) and the bench in this JVM, PLAINTEXT; registry %s; %d CPU cores,"
                + " JDK %s, max heap %.0f MB, GC %s%n", config.rules().size(), config.rulesPath() == null ? "bundled" : "loaded",
                config.baselines() ? "on" : "off", config.reissue().enabled() ? "on" : "off",
                DetectionBenchCommand.streamsSummary(config.toStreamsProperties()), command.registryName(),
                Runtime.getRuntime().availableProcessors(), Runtime.version(), Runtime.getRuntime().maxMemory() / MIB, gcNames());
        out.printf(Locale.ROOT, "mix: %s%n", mix(stats));
        out.printf(Locale.ROOT, "input: %,d events, %.1f MB of values (%.0f B per event), produced in %.1f s (%,.0f events/s;"
                        + " acks=all, linger.ms=5, no compression)%n", produced.total(), produced.valueBytes() / MIB,
                produced.valueBytes() / (double) Math.max(1, produced.total()), produced.seconds(),
                produced.total() / Math.max(1e-9, produced.seconds()));
        workload.notes().forEach(n -> out.println("note: " + n));
        out.println();
        out.printf(Locale.ROOT, ROW, "run", "inst", "events/s", "vs raw", "running/s", "start s", "total s",
                "caught", "missed", "dup", "unexp", "alerts", "commits", "heap MB/M", "chlog B/B", "repart B/B");
        out.printf(Locale.ROOT, ROW, "raw", "-", fixed(raw.eventsPerSecond(), 0), "1.00", "-", "-", fixed(raw.seconds(), 1),
                "-", "-", "-", "-", "-", "-", "-", "-", "-");
        for (DetectionRunner.Result r : results) {
            double perMillion = r.heapBytes() / MIB / Math.max(1, r.distinctPrincipals()) * 1_000_000;
            out.printf(Locale.ROOT, ROW, "detection", r.instances(), fixed(r.eventsPerSecond(), 0),
                    fixed(raw.eventsPerSecond() > 0 ? r.eventsPerSecond() / raw.eventsPerSecond() : 0, 2),
                    r.eventsPerSecondRunning() > 0 ? fixed(r.eventsPerSecondRunning(), 0) : "-",
                    r.startupSeconds() >= 0 ? fixed(r.startupSeconds(), 1) : "-", fixed(r.seconds(), 1),
                    r.score().caught(), r.score().missed(), r.score().duplicated(), r.score().unexpected().size(),
                    fixed(r.alerts(), 0), fixed(r.commits(), 0),
                    fixed(perMillion, 0), fixed(r.changelogBytes() / (double) Math.max(1, r.inputBytes()), 3),
                    fixed(r.repartitionBytes() / (double) Math.max(1, r.inputBytes()), 3));
            if (!r.complete()) {
                out.printf(Locale.ROOT, "  %d instance(s): only %,d of %,d events committed when the budget ran out"
                                + " (bursts past them count as missed)%n",
                        r.instances(), r.processed(), r.expected());
            }
        }
        bursts(workload, results);
        unexpected(results);
        legend(produced, results);
        out.printf(Locale.ROOT, "total %.1f s (stack start included)%n", run.elapsedSeconds());
    }

    private void bursts(DetectionWorkload workload, List<DetectionRunner.Result> results) {
        Set<String> kinds = new LinkedHashSet<>();
        workload.answerKey().forEach(b -> kinds.add(b.kind()));
        out.printf(Locale.ROOT, "%nbursts by kind, caught/missed/duplicated per run (instances):%n");
        for (String kind : kinds) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-26s %3d bursts:", kind,
                    workload.answerKey().stream().filter(b -> b.kind().equals(kind)).count()));
            for (DetectionRunner.Result r : results) {
                BurstScore s = r.score();
                line.append(String.format(Locale.ROOT, "  [%d] %d/%d/%d", r.instances(),
                        s.count(n -> n == 1, b -> b.kind().equals(kind)), s.count(n -> n == 0, b -> b.kind().equals(kind)),
                        s.count(n -> n > 1, b -> b.kind().equals(kind))));
            }
            out.println(line);
        }
    }

    private void unexpected(List<DetectionRunner.Result> results) {
        for (DetectionRunner.Result r : results) {
            List<RevokeCommand> odd = r.score().unexpected();
            if (!odd.isEmpty()) {
                out.printf(Locale.ROOT, "  [%d] unexpected commands (first 5): %s%n", r.instances(), odd.stream().limit(5)
                        .map(c -> c.getRuleId() + " for " + c.getPrincipal()).collect(Collectors.joining(", ")));
            }
        }
    }

    private void legend(DetectionBenchCommand.Produced produced, List<DetectionRunner.Result> results) {
        out.println("  events/s: input events / (instances started -> the group's committed offsets at the end of every partition);"
                + " raw: one KafkaConsumer, same Avro deserializer, read_committed, first poll -> last event");
        out.println("  running/s: the same after all instances were RUNNING (start s: group join, global stores restored);"
                + " runs go in --instances order, the first also warms the JIT (try --instances 1,2,1)");
        out.println("  caught: exactly one command of the burst rule for the burst's owner or credential; dup: more than one;"
                + " unexp: commands for no burst");
        out.println("  alerts: alerts the run wrote (rules and baselines); commits: Kafka Streams commits of all threads (each"
                + " a transaction under exactly-once; every alert and command asks for one at once)");
        out.println("  heap MB/M: used heap after a full GC with detection loaded minus before it started, per million distinct"
                + " principals seen (state stores, the links global store, the clients' buffers)");
        out.println("  chlog B/B, repart B/B: bytes of the run's changelog and repartition topics on the broker per byte of the"
                + " audit topic");
        results.stream().filter(r -> !r.changelogs().isEmpty()).findFirst().ifPresent(r ->
                out.println("  changelogs: " + String.join(", ", r.changelogs())));
    }

    private static String mix(DetectionWorkload.Stats stats) {
        long noise = stats.noise().values().stream().mapToLong(Long::longValue).sum();
        return stats.noise().entrySet().stream().sorted(Map.Entry.<DetectionWorkload.Noise, Long>comparingByValue().reversed())
                .map(e -> String.format(Locale.ROOT, "%s %.1f%%", e.getKey().name().toLowerCase(Locale.ROOT),
                        100.0 * e.getValue() / Math.max(1, noise)))
                .collect(Collectors.joining(", ")) + String.format(Locale.ROOT, "; burst events %,d", stats.burstEvents());
    }

    private static String gcNames() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).collect(Collectors.joining("+"));
    }

    private static String fixed(double value, int decimals) {
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }
}
