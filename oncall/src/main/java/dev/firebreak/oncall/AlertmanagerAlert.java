package dev.firebreak.oncall;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One alert as Alertmanager's v2 API takes it ({@code POST /api/v2/alerts}). Alertmanager identifies an
 * alert by its label set, so the labels must tell two alerts apart; annotations may change between pushes.
 *
 * @param labels       identity and routing: alertname, rule, severity, principal, owner, environment, ...
 * @param annotations  what on-call reads: summary, triage, response taken, dashboard link, ...
 * @param startsAt     when the alert began
 * @param endsAt       while firing, when Alertmanager may consider it resolved if not pushed again;
 *                     once resolved, the resolution time
 * @param generatorUrl link back to where the alert can be investigated
 */
public record AlertmanagerAlert(Map<String, String> labels, Map<String, String> annotations, Instant startsAt,
                                Instant endsAt, String generatorUrl) {
    public AlertmanagerAlert {
        labels = Map.copyOf(labels);
        annotations = Map.copyOf(annotations);
        Objects.requireNonNull(startsAt, "startsAt");
        Objects.requireNonNull(endsAt, "endsAt");
        Objects.requireNonNull(generatorUrl, "generatorUrl");
    }

    /** Whether Alertmanager treats this alert as resolved at {@code now}. */
    public boolean resolvedAt(Instant now) {
        return !endsAt.isAfter(now);
    }
}
