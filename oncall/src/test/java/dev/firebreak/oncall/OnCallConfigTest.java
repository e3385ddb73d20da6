package dev.firebreak.oncall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OnCallConfigTest {
    static Map<String, String> minimal() {
        Map<String, String> map = new HashMap<>();
        map.put("firebreak.oncall.alertmanager.urls", "http://am-1:9093, https://am-2:9093/");
        map.put("firebreak.oncall.environment", "prod");
        map.put("firebreak.oncall.bootstrap.servers", "kafka:9092");
        map.put("firebreak.oncall.schema.registry.url", "mem://oncall-config-test");
        return map;
    }

    @Test
    void defaultsApplyAndEveryAlertmanagerIsKept() {
        OnCallConfig config = OnCallConfig.fromMap(minimal()).orElseThrow();
        assertThat(config.alertmanagerUrls()).containsExactly(URI.create("http://am-1:9093"), URI.create("https://am-2:9093"));
        assertThat(config.dashboardUrl()).isEqualTo(OnCallConfig.DEFAULT_DASHBOARD_URL)
                .as("the principal's dashboard over the alert's time range").contains("/d/firebreak-principal/")
                .contains("var-principal={principal}", "from={from}", "to={to}");
        assertThat(config.resendInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.alertHold()).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.lookback()).isEqualTo(Duration.ofDays(1));
        assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void pagingIsOffWithoutAlertmanagerUrls() {
        assertThat(OnCallConfig.fromMap(Map.of("firebreak.oncall.environment", "prod"))).isEmpty();
        assertThat(OnCallConfig.fromMap(Map.of("firebreak.oncall.alertmanager.urls", " "))).isEmpty();
    }

    @Test
    void aMisspeltKeyFailsEvenWhenPagingIsOff() {
        assertThatThrownBy(() -> OnCallConfig.fromMap(Map.of("firebreak.oncall.alertmanager.url", "http://am:9093")))
                .hasMessageContaining("firebreak.oncall.alertmanager.url]")
                .hasMessageContaining("firebreak.oncall.alertmanager.urls");
    }

    @Test
    void errorsNameTheKeyAndWhatIsAllowed() {
        Map<String, String> map = minimal();
        map.remove("firebreak.oncall.environment");
        map.put("firebreak.oncall.resend.interval.ms", "10");
        map.put("firebreak.oncall.dashboard.url", "grafana/{principal}");
        map.put("firebreak.oncall.schema.registry.url", "registry:8081");
        map.put("firebreak.oncall.consumer.group.id", "mine");
        assertThatThrownBy(() -> OnCallConfig.fromMap(map))
                .hasMessageContaining("firebreak.oncall.environment is required")
                .hasMessageContaining("firebreak.oncall.resend.interval.ms must be 100..3600000 (milliseconds), was 10")
                .hasMessageContaining("firebreak.oncall.dashboard.url must be an http(s):// URL template")
                .hasMessageContaining("firebreak.oncall.schema.registry.url is required: http://..., https://... or mem://<scope>")
                .hasMessageContaining("kafka.consumer.group.id cannot be overridden");
    }

    @Test
    void badUrlsAndNumbersAreRejectedWithTheKey() {
        Map<String, String> urls = minimal();
        urls.put("firebreak.oncall.alertmanager.urls", "http://am-1:9093,am-2:9093");
        assertThatThrownBy(() -> OnCallConfig.fromMap(urls))
                .hasMessageContaining("firebreak.oncall.alertmanager.urls must be comma-separated http(s)://")
                .hasMessageContaining("'am-2:9093'");
        Map<String, String> number = minimal();
        number.put("firebreak.oncall.alert.hold.ms", "15m");
        assertThatThrownBy(() -> OnCallConfig.fromMap(number))
                .hasMessageContaining("firebreak.oncall.alert.hold.ms must be a whole number of milliseconds, was '15m'");
    }

    @Test
    void credentialsInUrlsAndConsumerSecretsAreNotPrinted() {
        Map<String, String> map = minimal();
        map.put("firebreak.oncall.alertmanager.urls", "https://pager:s3cret@am-1:9093");
        map.put("firebreak.oncall.consumer.sasl.jaas.config", "org.apache.kafka...PlainLoginModule password=\"hunter2\";");
        String printed = OnCallConfig.fromMap(map).orElseThrow().toString();
        assertThat(printed).doesNotContain("s3cret").doesNotContain("hunter2").contains("https://****@am-1:9093");
    }

    @Test
    void clientSettingsReachTheConsumerButAreNeverPrinted() {
        Map<String, String> m = new HashMap<>(minimal());
        m.put(OnCallConfig.CLIENT_PREFIX + "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"kafka-pw\";");
        OnCallConfig c = OnCallConfig.fromMap(m).orElseThrow();
        assertThat(c.consumerOverrides()).containsKey("sasl.jaas.config");
        assertThat(c.toString()).doesNotContain("kafka-pw");
    }
}
