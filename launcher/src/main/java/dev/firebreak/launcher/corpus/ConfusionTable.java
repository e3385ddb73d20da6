package dev.firebreak.launcher.corpus;

import dev.firebreak.launcher.corpus.CorpusCase.Kind;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The verdict of every case and the rule × case table, from what the pipeline decided about each
 * case's principals. An attack passes when it was revoked (the kill switch confirmed it) or blocked
 * (the guard refused a statement); a benign case passes when nothing revoked it, issued a live
 * revoke command for it, or blocked it. Alerts, shadow ones included, never fail a case.
 */
public final class ConfusionTable {
    /** What happened to a case, strongest first. */
    public enum Verdict { REVOKED, BLOCKED, REVOKE_FAILED, ALERTED, NOTHING, SKIPPED, ERROR }

    /**
     * One case as it ran.
     *
     * @param principals who acted (empty when the case did not get that far)
     * @param notes      what the case reported about itself
     * @param problem    why it was skipped or failed to run, else null
     */
    public record CaseRun(String id, Kind kind, String description, List<String> principals, List<String> notes,
                          Verdict forced, String problem) {
        public CaseRun {
            principals = List.copyOf(principals);
            notes = List.copyOf(notes);
        }
    }

    /**
     * One row.
     *
     * @param cells rule or guard id -> R (live revoke command), S (shadow alert: would revoke), A (alert), B (guard blocked)
     */
    public record Row(CaseRun run, Verdict verdict, boolean ok, Map<String, String> cells) {
    }

    private final List<Row> rows;
    private final List<String> columns;

    private ConfusionTable(List<Row> rows, List<String> columns) {
        this.rows = List.copyOf(rows);
        this.columns = List.copyOf(columns);
    }

    public static ConfusionTable of(List<CaseRun> runs, CorpusOutcomes outcomes) {
        List<Row> rows = new ArrayList<>();
        TreeMap<String, Boolean> columns = new TreeMap<>();
        for (CaseRun run : runs) {
            Map<String, String> cells = cells(run, outcomes);
            cells.keySet().forEach(c -> columns.put(c, true));
            Verdict verdict = run.forced() != null ? run.forced() : verdict(run, outcomes, cells);
            rows.add(new Row(run, verdict, ok(run.kind(), verdict, cells), cells));
        }
        return new ConfusionTable(rows, new ArrayList<>(columns.keySet()));
    }

    public List<Row> rows() {
        return rows;
    }

    /** Attacks not revoked or blocked, and cases that did not run. */
    public List<Row> missedAttacks() {
        return rows.stream().filter(r -> r.run().kind() == Kind.ATTACK && !r.ok() && r.verdict() != Verdict.ERROR).toList();
    }

    /** Benign cases revoked, blocked or sent a live revoke command. */
    public List<Row> falseStops() {
        return rows.stream().filter(r -> r.run().kind() == Kind.BENIGN && !r.ok() && r.verdict() != Verdict.ERROR).toList();
    }

    /** Cases that failed to run: the harness or the stack broke, so they say nothing about the rules. */
    public List<Row> errors() {
        return rows.stream().filter(r -> r.verdict() == Verdict.ERROR).toList();
    }

    /** 0 when every attack was stopped and no benign case was; 1 otherwise (errors included). */
    public int exitCode() {
        return missedAttacks().isEmpty() && falseStops().isEmpty() && errors().isEmpty() ? 0 : 1;
    }

    private static boolean ok(Kind kind, Verdict verdict, Map<String, String> cells) {
        if (verdict == Verdict.ERROR) {
            return false;
        }
        if (verdict == Verdict.SKIPPED) {
            return true;
        }
        boolean stopped = verdict == Verdict.REVOKED || verdict == Verdict.BLOCKED;
        boolean commanded = cells.containsValue("R");
        return kind == Kind.ATTACK ? stopped : !stopped && !commanded;
    }

    private static Verdict verdict(CaseRun run, CorpusOutcomes outcomes, Map<String, String> cells) {
        Set<String> who = Set.copyOf(run.principals());
        boolean revoked = outcomes.results().stream().anyMatch(r -> (who.contains(r.getPrincipal()) || who.contains(r.getTarget()))
                && (r.getOutcome() == RevocationOutcome.REVOKED || r.getOutcome() == RevocationOutcome.ALREADY_REVOKED));
        if (revoked) {
            return Verdict.REVOKED;
        }
        if (outcomes.blocked().stream().anyMatch(e -> who.contains(e.getPrincipal()))) {
            return Verdict.BLOCKED;
        }
        if (cells.values().stream().anyMatch(v -> v.contains("R"))) {
            return Verdict.REVOKE_FAILED;
        }
        return cells.isEmpty() ? Verdict.NOTHING : Verdict.ALERTED;
    }

    private static Map<String, String> cells(CaseRun run, CorpusOutcomes outcomes) {
        Set<String> who = Set.copyOf(run.principals());
        Map<String, String> cells = new TreeMap<>();
        for (Alert a : outcomes.alerts()) {
            if (a.getKind() == AlertKind.RULE_TRIGGERED && who.contains(a.getPrincipal())) {
                cells.merge(a.getRuleId(), a.getSummary().contains("[shadow]") ? "S" : "A", ConfusionTable::stronger);
            }
        }
        for (RevokeCommand c : outcomes.commands()) {
            if (!c.getDryRun() && (who.contains(c.getPrincipal()) || c.getTargets().stream().anyMatch(who::contains))) {
                cells.merge(c.getRuleId(), "R", ConfusionTable::stronger);
            }
        }
        for (AuditEvent e : outcomes.blocked()) {
            if (who.contains(e.getPrincipal())) {
                cells.merge(e.getAttributes().getOrDefault("guard_rule", "guard"), "B", ConfusionTable::stronger);
            }
        }
        return cells;
    }

    private static String stronger(String a, String b) {
        String order = "RBSA";
        return order.indexOf(a) <= order.indexOf(b) ? a : b;
    }

    /** The report: the rule × case matrix, the verdict of every case against what it expects, and the totals. */
    public String render(String title) {
        StringBuilder out = new StringBuilder();
        out.append("=== ").append(title).append(" ===\n");
        int width = Math.max(34, rows.stream().mapToInt(r -> r.run().id().length()).max().orElse(0) + 1);
        out.append("Rule x case: R live revoke command, S shadow alert (would revoke), A alert, B blocked by the guard\n");
        out.append(String.format("%-" + width + "s", "case"));
        for (int i = 0; i < columns.size(); i++) {
            out.append(String.format("%4s", "[" + (i + 1) + "]"));
        }
        out.append('\n');
        for (Row r : rows) {
            out.append(String.format("%-" + width + "s", r.run().id()));
            for (String c : columns) {
                out.append(String.format("%4s", r.cells().getOrDefault(c, ".")));
            }
            out.append('\n');
        }
        for (int i = 0; i < columns.size(); i++) {
            out.append(String.format("  [%d] %s%n", i + 1, columns.get(i)));
        }
        out.append('\n').append(String.format("%-" + width + "s %-20s %-14s %-4s %s%n", "case", "expected", "verdict", "ok", "what it did"));
        for (Row r : rows) {
            String expected = r.run().kind() == Kind.ATTACK ? "revoked|blocked" : "not revoked/blocked";
            String what = r.run().description() + (r.run().notes().isEmpty() ? "" : "; " + String.join("; ", r.run().notes()))
                    + (r.run().problem() == null ? "" : "; " + r.run().problem());
            out.append(String.format("%-" + width + "s %-20s %-14s %-4s %s%n", r.run().id(), expected,
                    r.verdict().name().toLowerCase(Locale.ROOT), r.verdict() == Verdict.SKIPPED ? "-" : r.ok() ? "yes" : "NO", what));
        }
        long attacks = rows.stream().filter(r -> r.run().kind() == Kind.ATTACK && counted(r)).count();
        long benign = rows.stream().filter(r -> r.run().kind() == Kind.BENIGN && counted(r)).count();
        long skipped = rows.stream().filter(r -> r.verdict() == Verdict.SKIPPED || r.verdict() == Verdict.ERROR).count();
        out.append('\n').append(String.format("attacks stopped: %d/%d   benign stopped (false): %d/%d   skipped or broken: %d%n",
                attacks - missedAttacks().size(), attacks, falseStops().size(), benign, skipped));
        missedAttacks().forEach(r -> out.append("  MISSED ").append(r.run().id()).append(" (").append(r.verdict().name().toLowerCase(Locale.ROOT)).append(")\n"));
        falseStops().forEach(r -> out.append("  FALSE STOP ").append(r.run().id()).append(" (").append(summary(r.cells())).append(")\n"));
        errors().forEach(r -> out.append("  ERROR ").append(r.run().id()).append(": ").append(r.run().problem()).append('\n'));
        out.append(exitCode() == 0 ? "result: every attack stopped, no benign case stopped\n"
                : "result: FAILED (exit code 1)\n");
        return out.toString();
    }

    private static boolean counted(Row r) {
        return r.verdict() != Verdict.SKIPPED && r.verdict() != Verdict.ERROR;
    }

    private static String summary(Map<String, String> cells) {
        Map<String, String> stops = new LinkedHashMap<>();
        cells.forEach((k, v) -> {
            if (v.equals("R") || v.equals("B")) {
                stops.put(k, v);
            }
        });
        return stops.isEmpty() ? "revoked" : stops.toString();
    }
}
