package dev.firebreak.oncall;

import static dev.firebreak.oncall.OnCallFixtures.killSwitchAlert;
import static dev.firebreak.oncall.OnCallFixtures.revoke;
import static dev.firebreak.oncall.OnCallFixtures.ruleAlert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.firebreak.oncall.OnCallState.Notification;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.Severity;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlertRendererTest {
    static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
    final AlertRenderer renderer = new AlertRenderer("prod",
            "https://grafana.example.com/d/p?var-principal={principal}&var-rule={rule}");

    @Test
    void aRuleAlertCarriesRoutingLabelsAndWhatOnCallNeeds() {
        Alert alert = ruleAlert("drop-burst/pg:prod/agent x/e1", "pg:prod/agent x", Response.REVOKE, T0)
                .setSeverity(Severity.HIGH).build();
        Notification n = new Notification(alert.getAlertId(), alert, List.of(
                revoke(alert.getAlertId(), "pg:prod/agent x", "pg:prod/agent x", RevocationOutcome.REVOKED, "postgres", T0),
                revoke(alert.getAlertId(), "pg:prod/agent x", "token:railway/abc", RevocationOutcome.FAILED, "webhook", T0)),
                false, null, T0.plusSeconds(180));

        AlertmanagerAlert out = renderer.render(n, T0.plusSeconds(1));

        String dashboard = "https://grafana.example.com/d/p?var-principal=pg%3Aprod%2Fagent%20x&var-rule=drop-burst";
        assertThat(out.labels()).containsOnly(
                entry("alertname", "FirebreakRuleTriggered"), entry("rule", "drop-burst"), entry("severity", "high"),
                entry("principal", "pg:prod/agent x"), entry("owner", "alice@example.com"), entry("environment", "prod"),
                entry("response", "revoke"), entry("alert_id", "drop-burst/pg:prod/agent x/e1"));
        assertThat(out.annotations())
                .containsEntry("summary", "pg:prod/agent x dropped 12 tables in 5 s")
                .containsEntry("triage", "Check what the agent was asked to do")
                .containsEntry("recovery_point", "LSN 1/6B374D48 at 2026-11-21T11:59:55Z")
                .containsEntry("response_taken", "REVOKED pg:prod/agent x (postgres, 12.3 ms); "
                        + "FAILED token:railway/abc (webhook, 12.3 ms): issuer answered 503")
                .containsEntry("dashboard", dashboard)
                .containsEntry("window", "2026-11-21T11:59:55Z .. 2026-11-21T12:00:00Z (observed 12, threshold 10)")
                .containsEntry("sample_statements", "DROP TABLE a\nDROP TABLE b\nDROP TABLE c")
                .doesNotContainKey("resolution");
        assertThat(out.startsAt()).isEqualTo(T0);
        assertThat(out.endsAt()).isEqualTo(T0.plusSeconds(180));
        assertThat(out.generatorUrl()).isEqualTo(dashboard);
    }

    @Test
    void withoutResultsTheResponseIsPendingOrAlertOnly() {
        Alert revoke = ruleAlert("r1", "pg:prod/a", Response.REVOKE, T0).build();
        Alert alertOnly = ruleAlert("r2", "pg:prod/a", Response.ALERT_ONLY, T0).setOwner(null).build();
        assertThat(render(revoke).annotations()).containsEntry("response_taken", "pending");
        AlertmanagerAlert out = render(alertOnly);
        assertThat(out.annotations()).containsEntry("response_taken", "alert only");
        assertThat(out.labels()).containsEntry("response", "alert_only").containsEntry("owner", "none");
    }

    @Test
    void killSwitchAlertsAreNamedByKindAndShowWhatIsUnknownAsNA() {
        Alert failed = killSwitchAlert(AlertKind.REVOCATION_FAILED, "c1", "pg:prod/a", "token:x/1", T0);
        Alert refused = killSwitchAlert(AlertKind.REVOCATION_REFUSED, "c1", "pg:prod/a", "pg:prod/postgres", T0);
        assertThat(render(failed).labels()).containsEntry("alertname", "FirebreakRevocationFailed")
                .containsEntry("severity", "critical");
        assertThat(render(refused).labels()).containsEntry("alertname", "FirebreakRevocationRefused");
        assertThat(render(failed).annotations()).containsEntry("recovery_point", "n/a")
                .containsEntry("sample_statements", "none")
                .containsEntry("window", "2026-11-21T11:59:55Z .. 2026-11-21T12:00:00Z");
        assertThat(render(Alert.newBuilder(failed).setKind(AlertKind.UNKNOWN).build()).labels())
                .containsEntry("alertname", "FirebreakAlert");
    }

    @Test
    void aResolvedAlertEndsNowAndSaysWhy() {
        Alert alert = ruleAlert("r1", "pg:prod/a", Response.REVOKE, T0).build();
        Instant now = T0.plusSeconds(600);
        AlertmanagerAlert out = renderer.render(new Notification("r1", alert, List.of(), true, "principal reinstated", now), now);
        assertThat(out.endsAt()).isEqualTo(now);
        assertThat(out.resolvedAt(now)).isTrue();
        assertThat(out.annotations()).containsEntry("resolution", "principal reinstated");
    }

    @Test
    void aCreationTimeAheadOfOurClockStartsNowSoAlertmanagerAcceptsIt() {
        Alert alert = ruleAlert("r1", "pg:prod/a", Response.REVOKE, T0.plusSeconds(30)).build();
        AlertmanagerAlert out = renderer.render(new Notification("r1", alert, List.of(), true, "expired", T0), T0);
        assertThat(out.startsAt()).isEqualTo(T0);
    }

    @Test
    void longStatementsAreTruncatedAndALsnWithoutTimeStandsAlone() {
        Alert alert = ruleAlert("r1", "pg:prod/a", Response.REVOKE, T0)
                .setSampleStatements(List.of("DELETE FROM t WHERE id IN (" + "1,".repeat(300) + "1)"))
                .setRecoveryTimeUs(null).setRecoveryLsn(0x2AL).build();
        AlertmanagerAlert out = render(alert);
        assertThat(out.annotations().get("sample_statements")).hasSize(AlertRenderer.MAX_STATEMENT_CHARS + 3).endsWith("...");
        assertThat(out.annotations()).containsEntry("recovery_point", "LSN 0/2A");
    }

    @Test
    void theDashboardLinkCoversTheWindowWithMarginsWhenEverItIsOpened() {
        AlertRenderer grafana = new AlertRenderer("prod",
                "https://grafana.example.com/d/firebreak-principal/x?var-principal={principal}&from={from}&to={to}");
        Alert alert = ruleAlert("r1", "pg:prod/a", Response.REVOKE, T0).build(); // window T0-5s .. T0
        long from = T0.minusSeconds(5).minus(AlertRenderer.DASHBOARD_MARGIN).toEpochMilli();
        long to = T0.plus(AlertRenderer.DASHBOARD_MARGIN).toEpochMilli();
        String expected = "https://grafana.example.com/d/firebreak-principal/x?var-principal=pg%3Aprod%2Fa&from=" + from + "&to=" + to;
        assertThat(grafana.render(new Notification("r1", alert, List.of(), false, null, T0.plusSeconds(180)), T0)
                .annotations()).containsEntry("dashboard", expected);
        // a re-push hours later links to the same incident, not to the last hour by then
        assertThat(grafana.render(new Notification("r1", alert, List.of(), false, null, T0.plusSeconds(7200)),
                T0.plusSeconds(7000)).annotations()).containsEntry("dashboard", expected);

        Alert windowless = Alert.newBuilder(alert).setWindowStartUs(0).setWindowEndUs(0).build();
        assertThat(grafana.render(new Notification("r1", windowless, List.of(), false, null, T0.plusSeconds(180)), T0)
                .annotations().get("dashboard")).endsWith("&from=" + T0.minus(AlertRenderer.DASHBOARD_MARGIN).toEpochMilli()
                        + "&to=" + to);
    }

    private AlertmanagerAlert render(Alert alert) {
        return renderer.render(new Notification(alert.getAlertId(), alert, List.of(), false, null, T0.plusSeconds(180)), T0);
    }
}
