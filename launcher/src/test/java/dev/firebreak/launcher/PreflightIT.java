package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.firebreak.killswitch.webhook.WebhookSignature;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.preflight.AnswerCommand;
import dev.firebreak.launcher.preflight.CheckCommand;
import dev.firebreak.launcher.preflight.HookCommand;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.launcher.stack.PipelineKafkaAcls;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The incident of seeds/, replayed against the whole pipeline on the in-JVM stack: an agent holding a
 * found production token asks, through the Claude Code hook (a real {@code firebreak hook claude-code}
 * process, as Claude Code runs it), to POST a GraphQL {@code volumeDelete} to a PaaS stand-in (a JDK
 * HttpServer on 127.0.0.1 that counts every API call and revokes tokens through the signed kill switch
 * webhook). The call never reaches the PaaS; the second attempt is denied and revokes the token (the
 * webhook) and the agent's linked role (NOLOGIN). Benign commands go ahead, a delete on staging runs
 * through {@code firebreak check}, and an operator's {@code firebreak approve} lets a held call through.
 */
class PreflightIT {
    private static final String CLUSTER = "preflight";
    private static final String SECRET = "preflight-it-webhook-secret-0123456789";
    private static final String ROLE = "cleanup_bot_rw";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalStack stack;
    private static Pipeline pipeline;
    private static Paas paas;
    private static String token;
    private static String base;

    /** The PaaS: its GraphQL API counts calls (refusing revoked tokens); /revoke is the kill switch webhook. */
    static final class Paas implements AutoCloseable {
        final HttpServer server;
        final List<String> apiCalls = new CopyOnWriteArrayList<>();
        final Set<String> revoked = ConcurrentHashMap.newKeySet();

        Paas() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/graphql/v2", this::api);
            server.createContext("/revoke", this::revoke);
            server.setExecutor(Executors.newFixedThreadPool(2));
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        private void api(HttpExchange exchange) throws IOException {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String auth = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
            apiCalls.add(body);
            boolean refused = revoked.stream().anyMatch(t -> auth.equals("Bearer " + t));
            respond(exchange, refused ? 401 : 200, refused ? "{\"errors\":[\"token revoked\"]}" : "{\"data\":{\"volumeDelete\":true}}");
        }

        private void revoke(HttpExchange exchange) throws IOException {
            byte[] body = exchange.getRequestBody().readAllBytes();
            WebhookSignature.Verification v = WebhookSignature.verify(SECRET,
                    exchange.getRequestHeaders().getFirst(WebhookSignature.TIMESTAMP_HEADER),
                    exchange.getRequestHeaders().getFirst(WebhookSignature.SIGNATURE_HEADER), body, Instant.now(),
                    WebhookSignature.DEFAULT_MAX_SKEW);
            if (!v.valid()) {
                respond(exchange, 401, "{\"error\":\"bad signature\"}");
                return;
            }
            JsonNode request = JSON.readTree(body);
            if (!"revoke".equals(request.path("action").asText())) {
                respond(exchange, 400, "{\"error\":\"unsupported\"}");
                return;
            }
            boolean fresh = revoked.add(request.path("token_id").asText());
            respond(exchange, 200, fresh ? "{\"status\":\"revoked\",\"previous_state\":{\"active\":true}}"
                    : "{\"status\":\"already_revoked\"}");
        }

        private static void respond(HttpExchange exchange, int code, String body) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(code, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        paas = new Paas();
        stack = LocalStack.start(1, m -> { });
        try (Connection admin = stack.postgres().superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'x'");
            LocalStack.makeLockable(admin, ROLE);
        }
        Map<String, String> settings = PipelineSettings.stackMap(stack, CLUSTER, List.of());
        settings.put("firebreak.killswitch.webhook.paas.url", paas.url("/revoke"));
        settings.put("firebreak.killswitch.webhook.paas.secret", SECRET);
        // the stand-in verifies Firebreak's own scheme (Standard Webhooks is tested in the killswitch module)
        settings.put("firebreak.killswitch.webhook.paas.signature.scheme", "firebreak-v1");
        PipelineSettings parsed = PipelineSettings.fromMap(settings);
        token = parsed.agentActions().httpTokens().get(0);
        // the agent uses the found token and a database role: the kill switch revokes both with it
        link("token:paas/tok-found", "agent:cleanup-bot");
        link("pg:" + CLUSTER + "/" + ROLE, "agent:cleanup-bot");
        pipeline = Pipeline.start(parsed, new SimpleMeterRegistry(), m -> { });
        base = pipeline.agentBaseUrl().orElseThrow();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {pipeline, stack, paas}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    @Test
    void theVolumeDeleteNeverReachesThePaasAndTheSecondAttemptRevokesTheTokenAndTheRole() throws Exception {
        String delete = curlVolumeDelete("tok-found", "prod-vol");

        Hook first = hook("cleanup-bot", "token:paas/tok-found", "production", 1500, bash(delete));
        assertThat(first.exit()).isEqualTo(HookCommand.BLOCK);
        assertThat(first.stderr()).contains("preflight-destructive-production").contains("not approved within 1s");

        Hook second = hook("cleanup-bot", "token:paas/tok-found", "production", 1500, bash(delete));
        assertThat(second.exit()).isEqualTo(HookCommand.BLOCK);
        assertThat(second.stderr()).contains("denied by rule preflight-repeated-destructive");

        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(paas.revoked).as("token revoked through the signed webhook").contains("tok-found");
            assertThat(canLogin(ROLE)).as("linked role locked").isFalse();
        });
        assertThat(paas.apiCalls).as("the PaaS API never saw the production volumeDelete").noneMatch(b -> b.contains("prod-vol"));
        // the kill switch's result reaches the decisions: the revoked agent is denied even a benign command
        Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Hook after = hook("cleanup-bot", "token:paas/tok-found", "production", 0, bash("ls"));
            assertThat(after.exit()).isEqualTo(HookCommand.BLOCK);
            assertThat(after.stderr()).contains("preflight-revoked-principal");
        });
    }

    @Test
    void benignAgentCommandsAndADeleteOnStagingGoAhead() throws Exception {
        for (String command : List.of("ls", "git status")) {
            Hook h = hook("helper-bot", null, "production", 0, bash(command));
            assertThat(h.exit()).as(command + ": " + h.stderr()).isZero();
        }
        Hook select = hook("helper-bot", null, "production", 0, JSON.createObjectNode()
                .put("session_id", "s-1").put("hook_event_name", "PreToolUse").put("tool_name", "mcp__postgres__query")
                .set("tool_input", JSON.createObjectNode().put("sql", "SELECT count(*) FROM pg_roles")));
        assertThat(select.exit()).as(select.stderr()).isZero();

        int before = paas.apiCalls.size();
        Process check = process(List.of("check", "--url", base, "--agent", "helper-bot", "--environment", "staging", "--",
                "curl", "-s", "-X", "POST", paas.url("/graphql/v2"), "-H", "Authorization: Bearer tok-staging",
                "-d", "{\"query\":\"mutation { volumeDelete(volumeId: \\\"staging-vol\\\") }\"}"));
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as(new String(check.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        assertThat(paas.apiCalls.subList(before, paas.apiCalls.size())).singleElement()
                .satisfies(b -> assertThat(b).contains("staging-vol"));

        Process blocked = process(List.of("check", "--url", base, "--agent", "helper-bot", "--environment", "production",
                "--ask-timeout-ms", "0", "--", "psql", "-c", "DROP TABLE orders"));
        assertThat(blocked.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(blocked.exitValue()).isEqualTo(CheckCommand.BLOCKED);
    }

    @Test
    void anOperatorsApprovalLetsAHeldCallThroughAndIsRecorded() throws Exception {
        ProcessBuilder pb = processBuilder(hookArgs("approver-bot", null, "production", 60_000));
        Process hook = pb.start();
        try (OutputStream in = hook.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(bash(curlVolumeDelete("tok-approver", "approved-vol"))));
        }
        BufferedReader err = new BufferedReader(new InputStreamReader(hook.getErrorStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> id = CompletableFuture.supplyAsync(() -> {
            Pattern approve = Pattern.compile("firebreak approve (d-[0-9a-f]+)");
            try {
                for (String line; (line = err.readLine()) != null; ) {
                    Matcher m = approve.matcher(line);
                    if (m.find()) {
                        return m.group(1);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            throw new IllegalStateException("the hook printed no decision id");
        });
        String decisionId = id.get(60, TimeUnit.SECONDS);

        List<String> approve = new ArrayList<>(List.of(decisionId, "--operator", "alice", "--reason", "CHG-1234 planned cleanup"));
        approve.addAll(operatorSettings());
        assertThat(new CommandLine(new AnswerCommand.Approve()).execute(approve.toArray(String[]::new))).isZero();
        List<String> typo = new ArrayList<>(List.of("d-0000", "--operator", "bob", "--reason", "typo"));
        typo.addAll(operatorSettings());
        assertThat(new CommandLine(new AnswerCommand.Reject()).execute(typo.toArray(String[]::new))).as("unknown id refused")
                .isEqualTo(1);

        assertThat(hook.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(hook.exitValue()).as("approved: the hook lets the call run").isZero();
        assertThat(paas.apiCalls).noneMatch(b -> b.contains("approved-vol")); // the harness has not run it yet
    }

    // ------------------------------------------------------------------ helpers

    /** {@code --set} arguments connecting approve/reject as the operator user. */
    private static List<String> operatorSettings() {
        List<String> args = new ArrayList<>(List.of("--set", "firebreak.operator.bootstrap.servers=" + stack.kafka().bootstrapServers(),
                "--set", "firebreak.operator.schema.registry.url=" + stack.registryUrl()));
        stack.kafkaClientProperties(PipelineKafkaAcls.OPERATOR).forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                args.addAll(List.of("--set", "firebreak.operator.client." + k + "=" + v));
            }
        });
        return args;
    }

    /** What one hook run returned. */
    record Hook(int exit, String stderr) {
    }

    private static Hook hook(String agent, String credential, String environment, long askTimeoutMs, JsonNode input)
            throws Exception {
        Process p = processBuilder(hookArgs(agent, credential, environment, askTimeoutMs)).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(input));
        }
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Hook hook = new Hook(p.exitValue(), new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        if (hook.exit() == 0 && input.path("tool_name").asText().equals("Bash")) {
            // Claude Code runs the tool only when the hook lets it
            new ProcessBuilder("bash", "-c", input.path("tool_input").path("command").asText()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, TimeUnit.SECONDS);
        }
        return hook;
    }

    private static List<String> hookArgs(String agent, String credential, String environment, long askTimeoutMs) {
        List<String> args = new ArrayList<>(List.of("hook", "claude-code", "--url", base, "--agent", agent,
                "--environment", environment, "--ask-timeout-ms", Long.toString(askTimeoutMs)));
        if (credential != null) {
            args.addAll(List.of("--credential", credential));
        }
        return args;
    }

    private static Process process(List<String> args) throws IOException {
        return processBuilder(args).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static ProcessBuilder processBuilder(List<String> args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), FirebreakCli.class.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("FIREBREAK_TOKEN", token);
        return pb;
    }

    private static JsonNode bash(String command) {
        return JSON.createObjectNode().put("session_id", "s-incident").put("hook_event_name", "PreToolUse")
                .put("tool_name", "Bash").set("tool_input", JSON.createObjectNode().put("command", command));
    }

    private static String curlVolumeDelete(String apiToken, String volume) {
        return "curl -s -X POST " + paas.url("/graphql/v2") + " -H 'Authorization: Bearer " + apiToken + "'"
                + " -d '{\"query\":\"mutation { volumeDelete(volumeId: \\\"" + volume + "\\\") }\"}'";
    }

    private static boolean canLogin(String role) throws Exception {
        try (Connection c = stack.postgres().superuserConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT rolcanlogin FROM pg_roles WHERE rolname = '" + role + "'")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static void link(String credential, String owner) throws Exception {
        Map<String, Object> props = new HashMap<>(stack.adminClientProperties());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            byte[] value = new RegistryAvroSerializer<>(PrincipalLink.class, SchemaRegistries.forUrl(stack.registryUrl()), false)
                    .serialize(Topics.PRINCIPAL_LINKS, PrincipalLink.newBuilder().setPrincipal(credential).setOwner(owner)
                            .setReason("preflight IT").setLinkedTimeUs(System.currentTimeMillis() * 1000).build());
            producer.send(new ProducerRecord<>(Topics.PRINCIPAL_LINKS, credential, value)).get(30, TimeUnit.SECONDS);
        }
    }
}
