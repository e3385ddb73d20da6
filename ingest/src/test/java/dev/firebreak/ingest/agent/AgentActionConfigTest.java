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
        Files.writeString(file, "# one per line\nfile-token-0123456789 : deploy-* | cleanup-bot\n\n");
        AgentActionConfig c = AgentActionConfig.fromMap(Map.ofEntries(
                Map.entry(P + "table.enabled", "false"), Map.entry(P + "table.install", "false"),
                Map.entry(P + "input.max.chars", "1000"), Map.entry(P + "statement.max.chars", "100"),
                Map.entry(P + "http.enabled", "true"), Map.entry(P + "http.bind.address", "0.0.0.0"),
                Map.entry(P + "http.port", "9000"), Map.entry(P + "http.tokens", " inline-token-0123456789:* , "),
                Map.entry(P + "http.tokens.file", file.toString()), Map.entry(P + "http.max.body.bytes", "2048"),
                Map.entry(P + "http.max.batch.records", "10"), Map.entry(P + "http.threads", "2"),
                Map.entry(P + "http.ack.timeout.ms", "500"), Map.entry(P + "http.max.clock.skew.ms", "250"),
                Map.entry(P + "http.read.timeout.ms", "3000"), Map.entry(P + "http.max.queued", "7")));
        assertThat(c).isEqualTo(new AgentActionConfig(false, false, 1000, 100, true, "0.0.0.0", 9000,
                List.of(AgentTokenGrant.of("inline-token-0123456789", "*"),
                        AgentTokenGrant.of("file-token-0123456789", "deploy-*", "cleanup-bot")),
                2048, 10, 2, 500, 250, 3000, 7));
        assertThat(c.httpTokens()).containsExactly("inline-token-0123456789", "file-token-0123456789");
    }

    @Test
    void tokensAreNeverShown() {
        AgentActionConfig c = AgentActionConfig.defaults().withHttp("127.0.0.1", 0,
                List.of(AgentTokenGrant.of("very-secret-token-value", "*")));
        assertThat(c.toString()).doesNotContain("very-secret").contains("tokens=1 (redacted)");
        assertThat(c.httpGrants().get(0).toString()).doesNotContain("very-secret").contains("[*]");
        assertThatThrownBy(() -> AgentActionConfig.defaults().withHttp("127.0.0.1", 0,
                List.of(AgentTokenGrant.of("short-secret", "*"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http.tokens")
                .hasMessageNotContaining("short-secret");
    }

    @Test
    void aTokenWithoutAgentsIsRefusedAtStartUpNamingTheKeyAndTheSyntax(@TempDir Path dir) throws Exception {
        // The old form, a bare token: refused, not read as "every agent" (open) nor as "no agent"
        // (a deploy that 403s everything). The message never contains the token.
        for (String value : List.of("bare-token-0123456789", "ok-token-0123456789:a,bare-token-0123456789",
                "bare-token-0123456789:", "bare-token-0123456789: | ")) {
            assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.enabled", "true", P + "http.tokens", value)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid " + P + "http.tokens (entry ")
                    .hasMessageContaining("allowed: <token>:<agent>[|<agent>...]")
                    .hasMessageContaining("<token>:cleanup-bot|deploy-*")
                    .hasMessageNotContaining("bare-token");
        }
        Path file = dir.resolve("tokens");
        Files.writeString(file, "# comment\nfile-token-0123456789\n");
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.tokens.file", file.toString())))
                .hasMessageContaining(P + "http.tokens.file=" + file + " (line 2)")
                .hasMessageNotContaining("file-token");
    }

    @Test
    void badPatternsAndDuplicateTokensAreRefused() {
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.tokens", "good-token-0123456789:deploy bot")))
                .hasMessageContaining(P + "http.tokens").hasMessageContaining("agent pattern")
                .hasMessageNotContaining("good-token");
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.tokens",
                "good-token-0123456789:a,good-token-0123456789:b")))
                .hasMessageContaining(P + "http.tokens").hasMessageContaining("each token once")
                .hasMessageNotContaining("good-token");
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.tokens", "short:a")))
                .hasMessageContaining(P + "http.tokens=<redacted>").hasMessageContaining("at least 16");
    }

    @Test
    void boundsAreChecked() {
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.read.timeout.ms", "10")))
                .hasMessageContaining(P + "http.read.timeout.ms=10").hasMessageContaining("100..600000");
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.max.clock.skew.ms", "-1")))
                .hasMessageContaining(P + "http.max.clock.skew.ms=-1");
        assertThatThrownBy(() -> AgentActionConfig.fromMap(Map.of(P + "http.max.queued", "-1")))
                .hasMessageContaining(P + "http.max.queued=-1");
        assertThat(AgentActionConfig.defaults().httpMaxClockSkewMs()).isEqualTo(5000);
        assertThat(AgentActionConfig.defaults().httpReadTimeoutMs()).isEqualTo(10_000);
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
