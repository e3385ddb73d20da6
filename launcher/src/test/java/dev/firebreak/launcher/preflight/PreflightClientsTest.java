package dev.firebreak.launcher.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The client side without a server: hook input mapping, fail modes, and what happens when Firebreak is down. */
class PreflightClientsTest {

    @Test
    void failModesDefaultToClosedForProductionAndUnnamedAndOpenElsewhere() {
        FailModes defaults = FailModes.parse(FailModes.DEFAULT);
        assertThat(defaults.openFor("production")).isFalse();
        assertThat(defaults.openFor("PROD")).isFalse();
        assertThat(defaults.openFor(null)).isFalse();
        assertThat(defaults.openFor("staging")).isTrue();
        assertThat(FailModes.parse("staging=open").openFor("dev")).as("unlisted, no '*': closed").isFalse();
        assertThatThrownBy(() -> FailModes.parse("production=maybe")).hasMessageContaining("'production=maybe'")
                .hasMessageContaining("<environment>=open|closed");
    }

    @Test
    void hookMapsBashMcpSqlAndOtherTools() throws Exception {
        HookCommand.ClaudeCode hook = hook("--agent", "claude", "--environment", "production", "--credential", "token:r/x");
        ObjectNode bash = hook.record(ClientOptions.JSON.readTree(
                "{\"session_id\":\"s1\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"rm -rf /data\"}}"));
        assertThat(bash.toString()).isEqualTo("{\"agent_id\":\"claude\",\"tool\":\"bash\",\"input\":\"rm -rf /data\","
                + "\"run_id\":\"s1\",\"credential\":\"token:r/x\",\"target_environment\":\"production\"}");
        ObjectNode sql = hook.record(ClientOptions.JSON.readTree(
                "{\"tool_name\":\"mcp__postgres__query\",\"tool_input\":{\"sql\":\"DROP TABLE t\"}}"));
        assertThat(sql.get("tool").asText()).isEqualTo("sql");
        assertThat(sql.get("input").asText()).isEqualTo("DROP TABLE t");
        ObjectNode write = hook.record(ClientOptions.JSON.readTree(
                "{\"tool_name\":\"Write\",\"tool_input\":{\"file_path\":\"/x\"}}"));
        assertThat(write.get("tool").asText()).isEqualTo("write");
        assertThat(write.get("input").asText()).isEqualTo("{\"file_path\":\"/x\"}");
    }

    @Test
    void unreachableFirebreakBlocksProductionAndLetsStagingThroughWithAWarning() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort;
        String input = "{\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"ls\"}}";

        Run production = run(hook("--url", url, "--agent", "a", "--environment", "production"), input);
        assertThat(production.exit()).isEqualTo(HookCommand.BLOCK);
        assertThat(production.err()).contains("failing closed for environment production");

        Run staging = run(hook("--url", url, "--agent", "a", "--environment", "staging"), input);
        assertThat(staging.exit()).isZero();
        assertThat(staging.err()).contains("WARNING").contains("failing open for environment staging");

        Run unnamed = run(hook("--url", url, "--agent", "a", "--on-unreachable", "*=open"), input);
        assertThat(unnamed.exit()).isZero();
    }

    @Test
    void aHookThatCannotJudgeBlocks() throws Exception {
        assertThat(run(hook("--agent", "a"), "not json").exit()).isEqualTo(HookCommand.BLOCK);
        assertThat(run(hook("--agent", "a"), "{\"no_tool\":1}").err()).contains("no tool_name");
        HookCommand.ClaudeCode noToken = hook("--agent", "a");
        noToken.options.environmentVariables = name -> null;
        assertThat(run(noToken, "{\"tool_name\":\"Bash\",\"tool_input\":{}}").err()).contains("FIREBREAK_TOKEN");
        assertThat(run(hook(), "{\"tool_name\":\"Bash\",\"tool_input\":{}}").err()).contains("--agent");
    }

    @Test
    void checkQuotesTheCommandAsOneShellLine() {
        assertThat(CheckCommand.commandLine(List.of("psql", "-c", "DROP TABLE it's"))).isEqualTo("psql -c 'DROP TABLE it'\\''s'");
        assertThat(CheckCommand.commandLine(List.of("git", "status"))).isEqualTo("git status");
    }

    private record Run(int exit, String err) {
    }

    private static HookCommand.ClaudeCode hook(String... args) {
        HookCommand.ClaudeCode hook = new HookCommand.ClaudeCode();
        new CommandLine(hook).parseArgs(args);
        hook.options.environmentVariables = name -> name.equals("FIREBREAK_TOKEN") ? "test-token-0123456789abcdef" : null;
        return hook;
    }

    private static Run run(HookCommand.ClaudeCode hook, String stdin) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = hook.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, err.toString(StandardCharsets.UTF_8));
    }
}
