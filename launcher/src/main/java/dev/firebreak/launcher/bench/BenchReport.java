package dev.firebreak.launcher.bench;

import dev.firebreak.schema.Topics;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** Prints the bench's figures as plain-text tables, milliseconds and events per second. */
final class BenchReport {
    private static final String ROW = "%-13s %5s %5s %5s  %8s %8s %8s %8s  %8s %8s  %8s %8s%n";
    private final PrintStream out;

    BenchReport(PrintStream out) {
        this.out = out;
    }

    void settings(String line) {
        out.println("settings: " + line);
    }

    void latency(List<PathResult> results) {
        out.printf(Locale.ROOT, "%nlatency per capture path, ms; samples taken one at a time%n");
        out.printf(Locale.ROOT, "%-31s  %-35s  %-17s  %-17s%n", "", "|------------ end to end -----------|",
                "event->captured", "captured->consumed");
        out.printf(Locale.ROOT, ROW, "path", "n", "miss", "fail", "p50", "p90", "p99", "max", "p50", "p99", "p50", "p99");
        for (PathResult r : results) {
            Percentiles e2e = r.endToEnd();
            Percentiles source = r.eventToCapture();
            Percentiles delivery = r.captureToConsume();
            out.printf(Locale.ROOT, ROW, r.path().name(), r.samples().size(), r.missed(), r.failed(),
                    ms(e2e, Percentiles::p50), ms(e2e, Percentiles::p90), ms(e2e, Percentiles::p99), ms(e2e, Percentiles::max),
                    ms(source, Percentiles::p50), ms(source, Percentiles::p99),
                    ms(delivery, Percentiles::p50), ms(delivery, Percentiles::p99));
        }
        out.printf(Locale.ROOT, "  end to end: client action started (JDBC execute, HTTP send) to the AuditEvent consumed from %s%n",
                Topics.AUDIT_EVENTS);
        out.printf(Locale.ROOT, "  event->captured: captured_time_us - event_time_us; captured->consumed: captured_time_us to this consumer%n");
        for (PathResult r : results) {
            out.printf(Locale.ROOT, "  %-13s %s; event time: %s%n", r.path().name(), r.path().what(), r.path().eventClock());
        }
    }

    void throughput(List<ThroughputResult> results) {
        if (results.isEmpty()) {
            return;
        }
        String row = "%-6s %8s %9s %9s %8s %9s %9s%n";
        out.printf(Locale.ROOT, "%ningest throughput, events consumed from %s%n", Topics.AUDIT_EVENTS);
        out.printf(Locale.ROOT, row, "load", "sent", "client s", "sent/s", "events", "events/s", "total s");
        for (ThroughputResult r : results) {
            out.printf(Locale.ROOT, row, r.name(), r.clients().completed(), fixed(r.clients().seconds(), 2),
                    fixed(r.clientPerSecond(), 0), r.flow().events(), fixed(r.flow().eventsPerSecond(), 0),
                    fixed(r.totalSeconds(), 2));
        }
        out.printf(Locale.ROOT, "  client s: common start until every client finished; events/s: first to last event consumed; "
                + "total s: common start to last event consumed%n");
        for (ThroughputResult r : results) {
            out.printf(Locale.ROOT, "  %-6s %s%n", r.name(), r.what());
        }
    }

    void note(String text) {
        out.println(text);
    }

    private static String ms(Percentiles p, ToDoubleFunction<Percentiles> field) {
        return p == null ? "-" : fixed(field.applyAsDouble(p), 2);
    }

    private static String fixed(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
