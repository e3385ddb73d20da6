package dev.firebreak.ingest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentActionConfigTest {
    private static final String P = AgentActionConfig.PREFIX;

    @Test
    void defaults() {
        AgentActionConfig c = AgentActionConfig.fromMap(Map.of());
        assertThat(c).isEqualTo(AgentActionConfig.defaults());
        assertThat(c.tableEnabled()).isTrue();
        assertThat(c.httpEnabled()).isFalse();
        assertThat(c.httpBindAddress()).isEqualTo("127.0.0.1");
        assertThat(AgentActionConfig.disabled().tableEnabled()).isFalse();
    }

    @Test
    void readsEveryKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, "# one per line\nfile-token-0123456789\n\n");
        AgentActionConfig c = AgentActionConfig.fromMap(Map.ofEntries(
                Map.entry(P + "table.enabled", "false"), Map.entry(P + "table.install", "false"),
                Map.entry(P + "input.max.chars", "1000"), Map.entry(P + "statement.max.chars", "100"),
                Map.entry(P + "http.enabled", "true"), Map.entry(P + "http.bind.address", "0.0.0.0"),
                Map.entry(P + "http.port", "9000"), Map.entry(P + "http.tokens", " inline-token-0123456789 , "),
                Map.entry(P + "http.tokens.file", file.toString()), Map.entry(P + "http.max.body.bytes", "2048"),
                Map.entry(P + "http.max.batch.records", "10"), Map.entry(P + "http.threads", "2"),
                Map.entry(P + "http.ack.timeout.ms", "500")));
        assertThat(c).isEqualTo(new AgentActionConfig(false, false, 1000, 100, true, "0.0.0.0", 9000,
                List.of("inline-token-0123456789", "file-token-0123456789"), 2048, 10, 2, 500));
    }

    @Test
    void tokensAreNeverShown() {
        AgentActionConfig c = AgentActionConfig.defaults().withHttp("127.0.0.1", 0, List.of("very-secret-token-value"));
        assertThat(c.toString()).doesNotContain("very-secret").contains("tokens=1 (redacted)");
        assertThatThrownBy(() -> AgentActionConfig.defaults().withHttp("127.0.0.1", 0, List.of("short-secret")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http.tokens")
                .hasMessageNotContaining("short-secret");
    }

    @Test
    void httpNeedsAToken() {
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.enabled", "true")))
                .hasMessageContaining("at least one token");
    }

    @Test
    void badValuesNameTheKey() {
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.port", "http")))
                .hasMessageContaining(P + "http.port");
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.max.body.bytes", "10")))
                .hasMessageContaining(P + "http.max.body.bytes");
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "table.enabled", "yes")))
                .hasMessageContaining(P + "table.enabled");
    }
}
