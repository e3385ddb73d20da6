package dev.firebreak.launcher.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/** The demo's summary of one rogue run, and its JSON form. */
public record DemoReport(String mode, String role, int tablesTotal, int tablesDropped, int tablesKept,
                         boolean revoked, Double statementToRevokedMs, String reconnect, Hops hops) {

    /**
     * Where the statement-to-revoked time went, in ms: statement to its message read and normalised
     * by ingest; from there to the kill switch picking the command up (produce and ack, detection,
     * and the Kafka hops in between); the kill switch's own work until the sessions were gone.
     */
    public record Hops(double captureMs, double detectAndDeliverMs, double revokeMs) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code {"runs":[{"mode":..,"tables_total":..,...}, ...]}} on one line. */
    public static String toJson(List<DemoReport> runs) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode array = root.putArray("runs");
        for (DemoReport r : runs) {
            ObjectNode run = array.addObject();
            run.put("mode", r.mode());
            run.put("role", r.role());
            run.put("tables_total", r.tablesTotal());
            run.put("tables_dropped", r.tablesDropped());
            run.put("tables_kept", r.tablesKept());
            run.put("revoked", r.revoked());
            if (r.statementToRevokedMs() == null) {
                run.putNull("statement_to_revoked_ms");
            } else {
                run.put("statement_to_revoked_ms", Math.round(r.statementToRevokedMs() * 100) / 100.0);
            }
        }
        return root.toString();
    }

    /** One human line. */
    public String describe() {
        return String.format(Locale.ROOT, "%-10s role %-18s dropped %3d of %3d tables, kept %3d; revoked: %s; "
                        + "statement to revoked: %s; login afterwards: %s",
                mode, role, tablesDropped, tablesTotal, tablesKept, revoked ? "yes" : "NO",
                statementToRevokedMs == null ? "n/a" : String.format(Locale.ROOT, "%.1f ms", statementToRevokedMs),
                reconnect);
    }
}
