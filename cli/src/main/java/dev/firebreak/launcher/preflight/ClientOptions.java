package dev.firebreak.launcher.preflight;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The settings every client integration shares. Each option also reads an environment variable, so a
 * hook line in an agent's settings file can stay short and the token never appears in it.
 */
public final class ClientOptions {
    static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", defaultValue = "${env:FIREBREAK_URL:-http://127.0.0.1:8095}",
            description = "The ingest agent endpoint (env FIREBREAK_URL, default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--token-env", defaultValue = "FIREBREAK_TOKEN",
            description = "Name of the environment variable holding the bearer token (default ${DEFAULT-VALUE}).")
    String tokenEnv;

    @Option(names = "--agent", defaultValue = "${env:FIREBREAK_AGENT_ID:-}",
            description = "The agent id to ask as (env FIREBREAK_AGENT_ID).")
    String agent;

    @Option(names = "--credential", defaultValue = "${env:FIREBREAK_CREDENTIAL:-}",
            description = "The credential the agent acts with, e.g. token:railway/3f9a (env FIREBREAK_CREDENTIAL; never a secret).")
    String credential;

    @Option(names = "--environment", defaultValue = "${env:FIREBREAK_ENVIRONMENT:-}",
            description = "The target environment, e.g. production (env FIREBREAK_ENVIRONMENT).")
    String environment;

    @Option(names = "--ask-timeout-ms", defaultValue = "${env:FIREBREAK_ASK_TIMEOUT_MS:-120000}",
            description = "How long to wait for an operator to approve an ask (env FIREBREAK_ASK_TIMEOUT_MS, default ${DEFAULT-VALUE}).")
    long askTimeoutMs;

    @Option(names = "--timeout-ms", defaultValue = "${env:FIREBREAK_TIMEOUT_MS:-3000}",
            description = "Connect and answer timeout of one request (default ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Option(names = "--on-unreachable", defaultValue = "${env:FIREBREAK_ON_UNREACHABLE:-" + FailModes.DEFAULT + "}",
            description = "Per target environment, what to do when Firebreak cannot be reached: env=open|closed, * for the "
                    + "rest, unset for none named (env FIREBREAK_ON_UNREACHABLE, default ${DEFAULT-VALUE}).")
    String onUnreachable;

    /** Where the token variable is looked up: the process environment (tests substitute their own). */
    java.util.function.UnaryOperator<String> environmentVariables = System::getenv;

    /** The gate these options describe; a bad option fails here, naming it. */
    Gate gate(PrintStream err) {
        FailModes modes = FailModes.parse(onUnreachable);
        if (agent == null || agent.isBlank()) {
            throw new IllegalArgumentException("--agent (or FIREBREAK_AGENT_ID) is required: the agent id to ask as");
        }
        if (askTimeoutMs < 0 || timeoutMs < 1) {
            throw new IllegalArgumentException("--ask-timeout-ms must be >= 0 and --timeout-ms >= 1");
        }
        String token = environmentVariables.apply(tokenEnv);
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("environment variable " + tokenEnv + " (--token-env) holds no bearer token");
        }
        return new Gate(new PreflightClient(URI.create(url), token.trim(), Duration.ofMillis(timeoutMs)), modes,
                Duration.ofMillis(askTimeoutMs), err);
    }

    /** The {@code /v1/actions} record of one action. */
    ObjectNode record(String tool, String input, String runId) {
        ObjectNode record = JSON.createObjectNode().put("agent_id", agent).put("tool", tool).put("input", input);
        if (runId != null && !runId.isBlank()) {
            record.put("run_id", runId);
        }
        if (credential != null && !credential.isBlank()) {
            record.put("credential", credential);
        }
        if (environment != null && !environment.isBlank()) {
            record.put("target_environment", environment);
        }
        return record;
    }
}
