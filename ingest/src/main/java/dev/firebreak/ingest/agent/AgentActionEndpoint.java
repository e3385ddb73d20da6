package dev.firebreak.ingest.agent;

import dev.firebreak.schema.Principal;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.firebreak.ingest.classify.ActionClassifier;
import dev.firebreak.ingest.preflight.ActionFacts;
import dev.firebreak.ingest.preflight.Decision;
import dev.firebreak.ingest.preflight.LiveState;
import dev.firebreak.ingest.preflight.PreflightService;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.ingest.metrics.CaptureSource;
import dev.firebreak.ingest.metrics.IngestMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest service's HTTP endpoint for agent action records (JDK {@link HttpServer}).
 *
 * <p>{@code POST /v1/actions} takes one JSON record or a JSON array of them (see
 * {@link AgentActionParser} for the fields) and answers:
 * <ul>
 *   <li>202 {@code {"accepted": n, "event_ids": [...]}} once Kafka acknowledged every event: a 202
 *       is as durable as a committed Debezium offset;</li>
 *   <li>400 malformed JSON, an empty batch or a non-object record; 422 a record with a bad field,
 *       naming the field and the array index (a batch is validated all-or-nothing: nothing of it
 *       is produced);</li>
 *   <li>401 without a valid {@code Authorization: Bearer} token ({@code WWW-Authenticate} says why),
 *       403 {@code forbidden_agent} naming {@code agent_id} and the index when a record's agent is not
 *       one the token may speak for (the whole batch is refused), 405 for other methods, 413 for a body over the byte limit (refused from
 *       {@code Content-Length} or while reading, never buffered beyond the limit) or a batch over
 *       the record limit, 415 unless {@code Content-Type: application/json};</li>
 *   <li>503 when Kafka did not acknowledge in time; the client retries, and deterministic event ids
 *       let consumers recognise the events that did get through.</li>
 * </ul>
 * {@code GET /health} answers 200 without authentication. Tokens are never logged.
 *
 * <p>Slow clients: the JDK server reads a request's headers and body on a worker thread, so a
 * client trickling bytes holds one. Workers are {@code http.threads}, at most {@code http.max.queued}
 * requests wait for one (more are dropped: connection closed), and a watchdog closes the connection
 * of a request whose headers and body have not fully arrived {@code http.read.timeout.ms} after a
 * worker took it up (it interrupts the worker, and an interrupted blocking channel read closes the
 * channel). The deadline no longer applies once the body is read: the Kafka wait has its own
 * ({@code http.ack.timeout.ms}). Connections that send nothing hold no worker.
 */
public final class AgentActionEndpoint implements AutoCloseable {
    public static final String ACTIONS_PATH = "/v1/actions";
    public static final String HEALTH_PATH = "/health";
    /** Pre-flight: {@code POST} one record to ask before acting; {@code GET <path>/<id>} for where an ask stands. */
    public static final String DECISIONS_PATH = "/v1/decisions";
    private static final Logger LOG = LoggerFactory.getLogger(AgentActionEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String REALM = "Bearer realm=\"firebreak\"";

    private final AgentActionConfig config;
    private final AgentActionParser parser;
    private final AgentActionNormalizer normalizer;
    private final AuditEventSink sink;
    private final BearerTokens tokens;
    private final MeterRegistry meters;
    private final Counter accepted;
    private final Counter timedOut;
    private final Counter overloaded;
    private final IngestMetrics metrics;
    private final PreflightService preflight;
    private HttpServer server;
    private ThreadPoolExecutor executor;
    private ScheduledExecutorService watchdog;
    /** The read deadline of the request the current worker is on; null outside a request. */
    private final ThreadLocal<ReadDeadline> deadline = new ThreadLocal<>();

    /**
     * @param config     limits, bind address, port and tokens ({@code httpEnabled} is the caller's business)
     * @param cluster    logical name of the watched system, recorded in every event
     * @param classifier judges whether an action is destructive
     * @param sink       where events go; its acknowledgements gate the 202
     */
    public AgentActionEndpoint(AgentActionConfig config, String cluster, ActionClassifier classifier,
                               AuditEventSink sink, MeterRegistry meters) {
        this(config, cluster, classifier, sink, meters, null);
    }

    /**
     * With pre-flight decisions on {@value #DECISIONS_PATH} ({@code preflight} null: off, 404).
     */
    public AgentActionEndpoint(AgentActionConfig config, String cluster, ActionClassifier classifier,
                               AuditEventSink sink, MeterRegistry meters, PreflightService preflight) {
        this.preflight = preflight;
        if (config.httpGrants().isEmpty()) {
            throw new IllegalArgumentException("the agent action endpoint needs at least one bearer token");
        }
        this.config = config;
        this.parser = new AgentActionParser(config.inputMaxChars(), Duration.ofMillis(config.httpMaxClockSkewMs()));
        this.normalizer = new AgentActionNormalizer(cluster, classifier, config.statementMaxChars());
        this.sink = sink;
        this.tokens = new BearerTokens(config.httpGrants());
        this.meters = meters;
        this.accepted = Counter.builder("firebreak.ingest.agent.actions.accepted").tag("path", "http")
                .description("Agent actions normalised and produced to Kafka").register(meters);
        this.metrics = new IngestMetrics(meters, CaptureSource.AGENT_HTTP);
        this.timedOut = Counter.builder("firebreak.ingest.agent.actions.rejected").tag("path", "http")
                .tag("reason", "read_timeout").description("Agent action requests (HTTP) or rows (table) refused, by reason")
                .register(meters);
        this.overloaded = Counter.builder("firebreak.ingest.agent.actions.rejected").tag("path", "http")
                .tag("reason", "overloaded").description("Agent action requests (HTTP) or rows (table) refused, by reason")
                .register(meters);
    }

    /** Binds and starts serving. */
    public AgentActionEndpoint start() {
        try {
            server = HttpServer.create(new InetSocketAddress(config.httpBindAddress(), config.httpPort()), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the agent action endpoint to " + config.httpBindAddress() + ":"
                    + config.httpPort(), e);
        }
        AtomicInteger threads = new AtomicInteger();
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "firebreak-agent-http-watchdog");
            t.setDaemon(true);
            return t;
        });
        // Bounded: a flood of requests queues at most http.max.queued; the JDK server closes the
        // connection of a request the executor refuses.
        BlockingQueue<Runnable> queue = config.httpMaxQueued() == 0 ? new SynchronousQueue<>()
                : new ArrayBlockingQueue<>(config.httpMaxQueued());
        executor = new ThreadPoolExecutor(config.httpThreads(), config.httpThreads(), 0, TimeUnit.MILLISECONDS, queue,
                r -> new Thread(r, "firebreak-agent-http-" + threads.incrementAndGet()), (r, pool) -> {
                    overloaded.increment();
                    throw new RejectedExecutionException("agent action endpoint busy: " + config.httpThreads()
                            + " requests in progress and " + config.httpMaxQueued() + " waiting");
                });
        server.setExecutor(this::runWithReadDeadline);
        server.createContext("/", this::handle);
        server.start();
        LOG.info("agent action endpoint listening on http://{}:{}{}", config.httpBindAddress(), port(), ACTIONS_PATH);
        return this;
    }

    /**
     * Runs one exchange of the JDK server (which reads the request line and headers, then calls
     * {@link #handle}) under a read deadline: unless {@link #bodyRead} is reached in time, the
     * worker is interrupted, which closes the connection's channel and ends its blocked read.
     */
    private void runWithReadDeadline(Runnable exchange) {
        executor.execute(() -> {
            ReadDeadline d = new ReadDeadline(Thread.currentThread());
            deadline.set(d);
            ScheduledFuture<?> timer = watchdog.schedule(d::expire, config.httpReadTimeoutMs(), TimeUnit.MILLISECONDS);
            try {
                exchange.run();
            } finally {
                d.finish();
                timer.cancel(false);
                deadline.remove();
                Thread.interrupted(); // an expiry that raced the end of the request must not reach the next one
            }
        });
    }

    /** The request is read: from here only the Kafka acknowledgement bounds the time. */
    private void bodyRead() throws IOException {
        ReadDeadline d = deadline.get();
        if (d != null && !d.finish()) {
            throw new IOException("the request was not read within " + config.httpReadTimeoutMs() + " ms");
        }
    }

    /** The read deadline of one request on one worker. */
    private final class ReadDeadline {
        private final Thread worker;
        private boolean done;
        private boolean expired;

        ReadDeadline(Thread worker) {
            this.worker = worker;
        }

        synchronized void expire() {
            if (!done) {
                expired = true;
                done = true;
                timedOut.increment();
                LOG.info("closing an agent action request not read within {} ms", config.httpReadTimeoutMs());
                worker.interrupt();
            }
        }

        /** @return false when the deadline had already expired */
        synchronized boolean finish() {
            done = true;
            return !expired;
        }
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) {
        try {
            String path = exchange.getRequestURI().getPath();
            if (ACTIONS_PATH.equals(path)) {
                respond(exchange, 202, acceptActions(exchange));
            } else if (preflight != null && DECISIONS_PATH.equals(path)) {
                respond(exchange, 200, decide(exchange));
            } else if (preflight != null && path.startsWith(DECISIONS_PATH + "/")) {
                respond(exchange, 200, decisionStatus(exchange, path.substring(DECISIONS_PATH.length() + 1)));
            } else if (HEALTH_PATH.equals(path)) {
                health(exchange);
            } else {
                throw new Rejection(404, "not_found", "no such resource: " + AgentActionParser.quote(path));
            }
        } catch (Rejection r) {
            reject(exchange, r);
        } catch (IOException e) {
            LOG.info("agent action request from {} failed: {}", exchange.getRemoteAddress(), e.toString());
        } catch (RuntimeException e) {
            LOG.error("agent action request from {} failed", exchange.getRemoteAddress(), e);
            reject(exchange, new Rejection(500, "internal_error", "internal error; see the ingest log"));
        } finally {
            exchange.close();
        }
    }

    private void health(HttpExchange exchange) throws IOException, Rejection {
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new Rejection(405, "method_not_allowed", "use GET").header("Allow", "GET, HEAD");
        }
        respond(exchange, 200, JSON.createObjectNode().put("status", "UP"));
    }

    /** The whole POST path; any refusal is a {@link Rejection} thrown before anything is produced. */
    private ObjectNode acceptActions(HttpExchange exchange) throws IOException, Rejection {
        Instant receivedAt = Instant.now();
        checkMethod(exchange);
        BearerTokens.Grant grant = checkToken(exchange);
        checkContentType(exchange);
        byte[] body = RequestBodies.read(exchange, config.httpMaxBodyBytes());
        bodyRead();
        List<JsonNode> records = records(parse(body));
        List<AuditEvent> events = normalise(records, receivedAt, grant);
        produce(events);
        accepted.increment(events.size());
        ObjectNode response = JSON.createObjectNode().put("accepted", events.size());
        ArrayNode ids = response.putArray("event_ids");
        events.forEach(e -> ids.add(e.getEventId()));
        LOG.debug("accepted {} agent actions from {}", events.size(), exchange.getRemoteAddress());
        return response;
    }

    /**
     * Pre-flight: one record, the same shape and checks as {@code /v1/actions}; answers the decision.
     * A deny or an ask is recorded (decisions topic) and published as an audit event of source
     * {@code AGENT_PREFLIGHT} before the answer; if Kafka does not acknowledge, an ask becomes a deny
     * (fail closed: nobody could approve what was not recorded).
     */
    private ObjectNode decide(HttpExchange exchange) throws IOException, Rejection {
        Instant receivedAt = Instant.now();
        checkMethod(exchange);
        BearerTokens.Grant grant = checkToken(exchange);
        checkContentType(exchange);
        byte[] body = RequestBodies.read(exchange, config.httpMaxBodyBytes());
        bodyRead();
        JsonNode root = parse(body);
        if (!root.isObject()) {
            throw new Rejection(400, "malformed_json", "a decision takes one JSON object (one action), was " + root.getNodeType());
        }
        AgentAction action = actions(List.of(root), receivedAt, grant).get(0);
        ActionClassifier.Verdict verdict = normalizer.verdict(action);
        long nowUs = AgentActionNormalizer.micros(Instant.now());
        ActionFacts facts = new ActionFacts(action.principal(), action.linkedPrincipal().orElse(null), action.tool(),
                verdict.kind().name().toLowerCase(Locale.ROOT), verdict.destructive(), verdict.category(), verdict.ruleId(),
                action.targetEnvironment());
        PreflightService.Decided decided = preflight.decide(facts, normalizer.bounded(action.input()), nowUs);
        Decision decision = decided.outcome().decision();
        String reason = decided.outcome().reason();
        if (decision != Decision.ALLOW) {
            Duration window = decided.outcome().window();
            LOG.warn("pre-flight {} by rule {} for principal {} (credential {}): {} on {}, window {}, decision {}",
                    decision.wire(), decided.outcome().ruleId(), facts.principal(), facts.credential(), verdict.category(),
                    facts.targetEnvironment(), window == null ? "none" : window, decided.id());
            AuditEvent attempt = normalizer.attempt(action, verdict, decided.id(), decision.wire(), decided.outcome().ruleId(),
                    reason, nowUs);
            if (!recorded(decided, attempt) && decision == Decision.ASK) {
                decision = Decision.DENY;
                reason = reason + "; denied because the decision could not be recorded for an operator to approve";
            }
        }
        Counter.builder("firebreak.ingest.preflight.decisions").tag("decision", decision.wire())
                .tag("rule", decided.outcome().ruleId()).description("Pre-flight decisions answered, by decision and rule")
                .register(meters).increment();
        ObjectNode response = JSON.createObjectNode().put("decision", decision.wire())
                .put("rule", decided.outcome().ruleId()).put("reason", reason).put("decision_id", decided.id())
                .put("destructive", verdict.destructive());
        response.put("category", verdict.category());
        if (decision == Decision.ASK) {
            response.put("status", "pending").put("status_url", DECISIONS_PATH + "/" + decided.id())
                    .put("expires_at", Instant.ofEpochMilli(decided.record().getExpiresTimeUs() / 1000).toString());
        }
        return response;
    }

    /** Waits for the decision record and the attempt event; false when Kafka did not acknowledge both in time. */
    private boolean recorded(PreflightService.Decided decided, AuditEvent attempt) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(preflight.config().recordTimeoutMs());
        try {
            Future<RecordMetadata> event = metrics.onAcknowledged(sink.send(attempt), attempt);
            decided.recorded().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            event.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("pre-flight decision {} of {} not acknowledged by Kafka: {}", decided.id(),
                    decided.record().getPrincipal(), e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Where a decision stands: {@code GET /v1/decisions/<id>[?wait_ms=n]} holds the request while it is
     * pending, up to {@code wait_ms} (at most {@code preflight.max.wait.ms}). Only a token that may speak
     * for the decision's agent sees it; an unknown id and another agent's id are both 404.
     */
    private ObjectNode decisionStatus(HttpExchange exchange, String id) throws IOException, Rejection {
        String method = exchange.getRequestMethod();
        if (!method.equals("GET")) {
            throw new Rejection(405, "method_not_allowed", "use GET").header("Allow", "GET");
        }
        BearerTokens.Grant grant = checkToken(exchange);
        bodyRead();
        long waitMs = Math.min(waitMs(exchange.getRequestURI().getRawQuery()), preflight.config().maxWaitMs());
        var decision = preflight.decision(id).filter(d -> grant.mayActFor(Principal.parse(d.getPrincipal()).name()))
                .orElseThrow(() -> new Rejection(404, "unknown_decision", "no decision " + AgentActionParser.quote(
                        id.length() > 80 ? id.substring(0, 80) : id) + " is known here (or it is older than the lookback)"));
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        LiveState.Status status = preflight.status(id, AgentActionNormalizer.micros(Instant.now()));
        while (status == LiveState.Status.PENDING && System.nanoTime() < until) {
            try {
                Thread.sleep(20); // an approval is a human's answer: 20 ms of polling is nothing next to it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            status = preflight.status(id, AgentActionNormalizer.micros(Instant.now()));
        }
        ObjectNode response = JSON.createObjectNode().put("decision_id", id)
                .put("decision", decision.getDecision().name().toLowerCase(Locale.ROOT))
                .put("status", status.name().toLowerCase(Locale.ROOT)).put("rule", decision.getRuleId())
                .put("reason", decision.getReason())
                .put("expires_at", Instant.ofEpochMilli(decision.getExpiresTimeUs() / 1000).toString());
        preflight.state().answer(id).ifPresent(a -> response.put("operator", a.getOperator()).put("operator_reason", a.getReason()));
        return response;
    }

    private static long waitMs(String query) throws Rejection {
        if (query == null || query.isEmpty()) {
            return 0;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith("wait_ms=")) {
                try {
                    return Math.max(0, Long.parseLong(pair.substring("wait_ms=".length())));
                } catch (NumberFormatException e) {
                    throw new Rejection(400, "invalid_query", "wait_ms must be a number of milliseconds");
                }
            }
        }
        return 0;
    }

    private static void checkMethod(HttpExchange exchange) throws Rejection {
        if (!exchange.getRequestMethod().equals("POST")) {
            throw new Rejection(405, "method_not_allowed", "use POST").header("Allow", "POST");
        }
    }

    private BearerTokens.Grant checkToken(HttpExchange exchange) throws Rejection {
        BearerTokens.Result result = tokens.check(exchange.getRequestHeaders().getFirst("Authorization"));
        switch (result.check()) {
            case ACCEPTED -> {
                return result.grant();
            }
            case MISSING -> throw new Rejection(401, "unauthenticated", "an Authorization: Bearer token is required")
                    .header("WWW-Authenticate", REALM);
            case INVALID -> throw new Rejection(401, "invalid_token", "the bearer token is not valid")
                    .header("WWW-Authenticate", REALM + ", error=\"invalid_token\"");
            default -> throw new IllegalStateException(result.check().name());
        }
    }

    private static void checkContentType(HttpExchange exchange) throws Rejection {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        String[] parts = type == null ? new String[] {""} : type.split(";");
        boolean json = parts[0].trim().equalsIgnoreCase("application/json");
        for (int i = 1; i < parts.length && json; i++) {
            String param = parts[i].trim().toLowerCase(Locale.ROOT).replace("\"", "");
            json = !param.startsWith("charset=") || param.equals("charset=utf-8");
        }
        if (!json) {
            throw new Rejection(415, "unsupported_media_type", "Content-Type must be application/json (UTF-8), was "
                    + (type == null ? "absent" : AgentActionParser.quote(type))).header("Accept-Post", "application/json");
        }
    }

    private static JsonNode parse(byte[] body) throws Rejection {
        try {
            JsonNode root = JSON.readTree(body);
            if (root == null || root.isMissingNode()) {
                throw new Rejection(400, "malformed_json", "the body is empty; send a JSON object or array");
            }
            return root;
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new Rejection(400, "malformed_json", "malformed JSON" + (at == null ? "" : " at line " + at.getLineNr()
                    + ", column " + at.getColumnNr()) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new Rejection(400, "malformed_json", "unreadable body: " + e.getMessage());
        }
    }

    private List<JsonNode> records(JsonNode root) throws Rejection {
        if (root.isObject()) {
            return List.of(root);
        }
        if (!root.isArray()) {
            throw new Rejection(400, "malformed_json", "the body must be a JSON object or an array of objects, was "
                    + root.getNodeType());
        }
        if (root.isEmpty()) {
            throw new Rejection(400, "empty_batch", "the batch is empty");
        }
        if (root.size() > config.httpMaxBatchRecords()) {
            throw new Rejection(413, "too_many_records", "the batch has " + root.size() + " records, more than the limit of "
                    + config.httpMaxBatchRecords());
        }
        List<JsonNode> records = new ArrayList<>(root.size());
        root.forEach(records::add);
        return records;
    }

    /**
     * Validates every record, and checks that the token may speak for its agent, before normalising
     * any: a batch is accepted or refused as a whole.
     */
    private List<AuditEvent> normalise(List<JsonNode> records, Instant receivedAt, BearerTokens.Grant grant)
            throws Rejection {
        List<AgentAction> actions = actions(records, receivedAt, grant);
        long capturedUs = AgentActionNormalizer.micros(Instant.now());
        return actions.stream().map(a -> normalizer.fromHttp(a, capturedUs)).toList();
    }

    /** Every record validated, and its agent one the token may speak for, or a rejection naming the first that is not. */
    private List<AgentAction> actions(List<JsonNode> records, Instant receivedAt, BearerTokens.Grant grant)
            throws Rejection {
        List<AgentAction> actions = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            String where = records.size() > 1 || !records.get(i).isObject() ? "record " + i + ": " : "";
            AgentAction action;
            try {
                action = parser.fromJson(records.get(i), receivedAt);
            } catch (MalformedActionException e) {
                throw new Rejection(422, "invalid_record", where + e.getMessage()).at(i, e.field());
            }
            if (!grant.mayActFor(action.agentId())) {
                throw new Rejection(403, "forbidden_agent", where + "agent_id " + AgentActionParser.quote(action.agentId())
                        + " is not one this bearer token may speak for; nothing of the request was accepted")
                        .at(i, "agent_id");
            }
            actions.add(action);
        }
        return actions;
    }

    private void produce(List<AuditEvent> events) throws Rejection {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.httpAckTimeoutMs());
        try {
            List<Future<RecordMetadata>> acks = new ArrayList<>(events.size());
            for (AuditEvent event : events) {
                acks.add(metrics.onAcknowledged(sink.send(event), event));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            LOG.warn("Kafka did not acknowledge {} agent action events: {}", events.size(), cause.toString());
            throw new Rejection(503, "kafka_unavailable", "the events were not acknowledged by Kafka; retry (event ids "
                    + "are deterministic, duplicates are recognisable)").header("Retry-After", "1");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Rejection(503, "shutting_down", "the endpoint is shutting down; retry").header("Retry-After", "1");
        }
    }

    private void reject(HttpExchange exchange, Rejection rejection) {
        Counter.builder("firebreak.ingest.agent.actions.rejected").tag("path", "http").tag("reason", rejection.reason)
                .description("Agent action requests (HTTP) or rows (table) refused, by reason").register(meters).increment();
        LOG.info("refused agent action request from {}: {} {}", exchange.getRemoteAddress(), rejection.status,
                rejection.getMessage());
        rejection.headers.forEach(h -> exchange.getResponseHeaders().add(h[0], h[1]));
        // A refusal may leave the request body unread: read what is left (bounded, twice the limit, so
        // a flood is cut off) so the client is not reset mid-upload and sees the answer; and never
        // reuse the connection.
        discardBody(exchange);
        exchange.getResponseHeaders().set("Connection", "close");
        ObjectNode body = JSON.createObjectNode().put("error", rejection.reason).put("message", rejection.getMessage());
        if (rejection.field != null) {
            body.put("field", rejection.field).put("index", rejection.index);
        }
        try {
            respond(exchange, rejection.status, body);
        } catch (IOException e) {
            LOG.debug("could not send the refusal to {}: {}", exchange.getRemoteAddress(), e.toString());
        }
    }

    private void discardBody(HttpExchange exchange) {
        try (var in = exchange.getRequestBody()) {
            byte[] buffer = new byte[8192];
            long left = 2L * config.httpMaxBodyBytes();
            int n;
            while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
                left -= n;
            }
        } catch (IOException e) {
            LOG.debug("could not read the rest of a refused request from {}: {}", exchange.getRemoteAddress(), e.toString());
        }
    }

    private static void respond(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(1);
        }
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        if (executor != null) {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                    executor.shutdownNow();
                }
            } catch (InterruptedException e) {
                executor.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A refusal: status, a stable machine-readable reason (also the metric tag) and a message for humans. */
    static final class Rejection extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final String reason;
        final transient List<String[]> headers = new ArrayList<>();
        String field;
        int index;

        Rejection(int status, String reason, String message) {
            super(message, null, false, false);
            this.status = status;
            this.reason = reason;
        }

        Rejection header(String name, String value) {
            headers.add(new String[] {name, value});
            return this;
        }

        Rejection at(int index, String field) {
            this.index = index;
            this.field = field;
            return this;
        }
    }
}
