package dev.firebreak.oncall;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns a {@link OnCallState.Notification} into the alert Alertmanager receives: labels for routing,
 * grouping and inhibition, annotations for the human who is paged. Pure.
 *
 * <p>Besides the routing labels, {@code alert_id} is a label: Alertmanager identifies an alert by its
 * label set, and without it two failed targets of one command, or two episodes of one rule for one
 * principal, would collapse into one alert.
 */
final class AlertRenderer {
    static final int SAMPLE_STATEMENTS = 3;
    static final int MAX_STATEMENT_CHARS = 200;
    static final int MAX_DETAIL_CHARS = 200;
    /** How much the dashboard link shows before the window starts and after it ends: the run-up and the aftermath. */
    static final Duration DASHBOARD_MARGIN = Duration.ofMinutes(15);

    private final String environment;
    private final String dashboardTemplate;

    AlertRenderer(String environment, String dashboardTemplate) {
        this.environment = environment;
        this.dashboardTemplate = dashboardTemplate;
    }

    AlertmanagerAlert render(OnCallState.Notification n, Instant now) {
        Alert alert = n.alert();
        String dashboard = dashboard(alert);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("alertname", alertName(alert));
        labels.put("rule", alert.getRuleId());
        labels.put("severity", alert.getSeverity().name().toLowerCase(Locale.ROOT));
        labels.put("principal", alert.getPrincipal());
        labels.put("owner", alert.getOwner() == null || alert.getOwner().isBlank() ? "none" : alert.getOwner());
        labels.put("environment", environment);
        labels.put("response", alert.getResponse() == Response.REVOKE ? "revoke" : "alert_only");
        labels.put("alert_id", n.alertId());

        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("summary", alert.getSummary());
        annotations.put("triage", alert.getTriage() == null || alert.getTriage().isBlank() ? "n/a" : alert.getTriage());
        annotations.put("recovery_point", recoveryPoint(alert));
        annotations.put("response_taken", responseTaken(alert, n.results()));
        annotations.put("dashboard", dashboard);
        annotations.put("window", window(alert));
        annotations.put("sample_statements", sampleStatements(alert.getSampleStatements()));
        if (n.resolved()) {
            annotations.put("resolution", n.resolution());
        }
        Instant created = OnCallState.instant(alert.getCreatedTimeUs());
        // Alertmanager rejects startsAt after endsAt; a producer clock ahead of ours must not lose the alert.
        Instant startsAt = created.isAfter(now) ? now : created;
        return new AlertmanagerAlert(labels, annotations, startsAt, n.endsAt(), dashboard);
    }

    static String alertName(Alert alert) {
        return switch (alert.getKind()) {
            case RULE_TRIGGERED -> "FirebreakRuleTriggered";
            case REVOCATION_FAILED -> "FirebreakRevocationFailed";
            case REVOCATION_REFUSED -> "FirebreakRevocationRefused";
            // a kind added by a newer writer: still paged, under a name that does not pretend to know it
            default -> "FirebreakAlert";
        };
    }

    /**
     * The link template with its placeholders filled: {@code {principal}}, {@code {rule}} URL-encoded,
     * {@code {from}} and {@code {to}} (epoch milliseconds, as Grafana's time range takes them) the
     * alert's window widened by {@link #DASHBOARD_MARGIN}, or its creation time when it has no window.
     * The link shows the incident whenever it is opened, not whatever the last hour holds by then.
     */
    String dashboard(Alert alert) {
        long createdUs = alert.getCreatedTimeUs();
        long startUs = alert.getWindowStartUs() > 0 ? alert.getWindowStartUs() : createdUs;
        long endUs = Math.max(alert.getWindowEndUs() > 0 ? alert.getWindowEndUs() : createdUs, startUs);
        long marginMs = DASHBOARD_MARGIN.toMillis();
        return dashboardTemplate.replace("{principal}", encode(alert.getPrincipal())).replace("{rule}", encode(alert.getRuleId()))
                .replace("{from}", Long.toString(startUs / 1_000 - marginMs)).replace("{to}", Long.toString(endUs / 1_000 + marginMs));
    }

    /** PostgreSQL's LSN notation (high/low 32 bits in hex) and the database time of that position. */
    static String recoveryPoint(Alert alert) {
        Long lsn = alert.getRecoveryLsn();
        Long timeUs = alert.getRecoveryTimeUs();
        if (lsn == null && timeUs == null) {
            return "n/a";
        }
        if (lsn == null) {
            return "no LSN; at " + Micros.format(timeUs);
        }
        String position = String.format(Locale.ROOT, "LSN %X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
        return timeUs == null ? position : position + " at " + Micros.format(timeUs);
    }

    static String responseTaken(Alert alert, List<RevocationResult> results) {
        if (results.isEmpty()) {
            return alert.getResponse() == Response.REVOKE ? "pending" : "alert only";
        }
        return results.stream().map(AlertRenderer::describe).collect(Collectors.joining("; "));
    }

    /** e.g. {@code REVOKED token:railway/abc (webhook, 12.3 ms)}, with the detail when it did not work. */
    static String describe(RevocationResult r) {
        String millis = String.format(Locale.ROOT, "%.1f ms",
                Math.max(0, r.getCompletedTimeUs() - r.getStartedTimeUs()) / 1000.0);
        String kind = r.getKind() == null || r.getKind().isEmpty() ? "" : r.getKind() + ", ";
        String text = r.getOutcome() + " " + r.getTarget() + " (" + kind + millis + ")";
        boolean worked = r.getOutcome() == RevocationOutcome.REVOKED || r.getOutcome() == RevocationOutcome.ALREADY_REVOKED
                || r.getOutcome() == RevocationOutcome.DRY_RUN;
        return worked || r.getDetail().isBlank() ? text : text + ": " + truncate(r.getDetail(), MAX_DETAIL_CHARS);
    }

    static String window(Alert alert) {
        if (alert.getWindowStartUs() == 0 && alert.getWindowEndUs() == 0) {
            return "n/a";
        }
        String window = Micros.format(alert.getWindowStartUs()) + " .. " + Micros.format(alert.getWindowEndUs());
        return alert.getObserved() == 0 && alert.getThreshold() == 0 ? window
                : window + " (observed " + alert.getObserved() + ", threshold " + alert.getThreshold() + ")";
    }

    static String sampleStatements(List<String> statements) {
        if (statements.isEmpty()) {
            return "none";
        }
        return statements.stream().limit(SAMPLE_STATEMENTS).map(s -> truncate(s.strip(), MAX_STATEMENT_CHARS))
                .collect(Collectors.joining("\n"));
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    // Query-string encoding writes spaces as '+', which a path segment would keep literally.
    private static String encode(String value) {
        return URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
