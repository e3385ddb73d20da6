package dev.firebreak.killswitch.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.firebreak.schema.Principal;
import dev.firebreak.killswitch.ReinstateRequest;
import dev.firebreak.killswitch.Revocation;
import dev.firebreak.killswitch.RevokeRequest;
import dev.firebreak.killswitch.Revoker;
import dev.firebreak.schema.RevocationOutcome;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revokes API tokens held by another service (a PaaS, a secrets manager) by calling that issuer's
 * signed webhook: targets {@code token:<issuer>/<token-id>}, one revoker per issuer.
 *
 * <p>Each call is one signed JSON POST (Standard Webhooks by default, or the older Firebreak scheme:
 * {@link WebhookScheme}; see docs/killswitch-webhook.md)
 * carrying an {@code Idempotency-Key} derived from the command, the target and the action, the same on
 * every retry, so the issuer never acts twice on one command. Failures a retry may cure (5xx, 408, 429,
 * timeouts, refused connections) are retried here with doubling backoff, never past the request's
 * deadline; the result is then a final, non-retryable FAILED, because retrying again in the kill
 * switch would only multiply the attempts.
 *
 * <p>The HTTP client is built once and reused, so its pooled connection to the issuer stays warm
 * between commands. The secret is never logged nor put in a result.
 */
public final class WebhookRevoker implements Revoker {
    /** The {@link Revoker#kind()} of webhook-revoked tokens. */
    public static final String KIND = "webhook";
    /** Response header a receiver sets when it answers a repeated Idempotency-Key with the stored answer. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    /** Request header carrying the idempotency key. */
    public static final String IDEMPOTENCY_HEADER = "Idempotency-Key";

    private static final Logger log = LoggerFactory.getLogger(WebhookRevoker.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SNIPPET = 200;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** Below this much time left, an attempt cannot complete and is not started. */
    private static final Duration MIN_ATTEMPT = Duration.ofMillis(1);

    private final WebhookTargetConfig config;
    private final HttpClient client;
    private final Clock clock;

    /** Builds the revoker and its HTTP client (HTTP/1.1, connect timeout = the configured timeout). */
    public WebhookRevoker(WebhookTargetConfig config) {
        this(config, Clock.systemUTC());
    }

    WebhookRevoker(WebhookTargetConfig config, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.timeout())
                // A revocation endpoint that redirects is misconfigured; following could leak the signed body.
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        log.info("kill switch webhook revoker for issuer {} ready: {}", config.issuer(), config);
    }

    /**
     * One revoker per issuer block under {@code firebreak.killswitch.webhook.} in {@code targetBlocks}
     * (full keys, as in {@code KillSwitchConfig.targetBlocks()}); empty when there is none.
     *
     * @throws IllegalArgumentException naming every invalid or unknown key and the allowed values
     */
    public static List<WebhookRevoker> fromConfig(Map<String, String> targetBlocks) {
        return WebhookTargetConfig.fromTargetBlocks(targetBlocks).stream().map(WebhookRevoker::new).toList();
    }

    /** The validated configuration (its toString masks the secret). */
    public WebhookTargetConfig config() {
        return config;
    }

    @Override
    public boolean handles(Principal target) {
        return Principal.TOKEN.equals(target.namespace()) && config.issuer().equals(target.scope());
    }

    @Override
    public String describe() {
        return Principal.prefix(Principal.TOKEN) + config.issuer() + "/*";
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Revocation revoke(Principal target, RevokeRequest request) {
        if (!handles(target)) {
            return Revocation.failed("not a token of issuer " + config.issuer() + ": " + target);
        }
        String tokenId = target.name();
        boolean isProtected = config.protectedTokens().contains(tokenId);
        if (request.dryRun()) {
            return Revocation.of(RevocationOutcome.DRY_RUN, "dry run, nothing sent: " + (isProtected
                    ? "would refuse: token " + tokenId + " is in the protected list of issuer " + config.issuer()
                    : "would POST revoke for token " + tokenId + " to " + config.displayUrl()));
        }
        if (isProtected) {
            return Revocation.of(RevocationOutcome.REFUSED_PROTECTED, "refused, nothing sent: token " + tokenId
                    + " is in the protected list of issuer " + config.issuer());
        }
        ObjectNode body = body(Action.REVOKE, target, request.commandId());
        return call(Action.REVOKE, target, body, request.deadlineNanos());
    }

    @Override
    public Revocation reinstate(Principal target, ReinstateRequest request) {
        if (!handles(target)) {
            return Revocation.failed("not a token of issuer " + config.issuer() + ": " + target);
        }
        JsonNode previous;
        try {
            previous = request.previousState().isBlank() ? null : JSON.readTree(request.previousState());
        } catch (JsonProcessingException e) {
            previous = null;
        }
        if (previous == null || previous.isMissingNode()) {
            return Revocation.failed("cannot reinstate token " + target.name() + ": the previous state is not the JSON "
                    + "recorded by a REVOKED revocation: " + snippet(request.previousState()));
        }
        if (request.dryRun()) {
            return Revocation.of(RevocationOutcome.DRY_RUN, "dry run, nothing sent: would POST reinstate for token "
                    + target.name() + " to " + config.displayUrl() + " with previous state " + snippet(previous.toString()));
        }
        ObjectNode body = body(Action.REINSTATE, target, request.reinstateId());
        body.set("previous_state", previous);
        body.put("operator", request.operator());
        body.put("reason", request.reason());
        return call(Action.REINSTATE, target, body, request.deadlineNanos());
    }

    /** The HTTP client keeps no threads of its own that need stopping on Java 17; it is released with the revoker. */
    @Override
    public void close() {
    }

    private ObjectNode body(Action action, Principal target, String commandId) {
        ObjectNode body = JSON.createObjectNode();
        body.put("action", action.wire);
        body.put("issuer", config.issuer());
        body.put("token_id", target.name());
        body.put("command_id", commandId);
        body.put("idempotency_key", idempotencyKey(commandId, target, action));
        body.put("dry_run", false);
        body.put("sent_at", DateTimeFormatter.ISO_INSTANT.format(clock.instant()));
        return body;
    }

    /**
     * SHA-256 hex of {@code commandId + "\n" + target + "\n" + action}: the same for every retry and
     * redelivery of one command, different for another command, target or action.
     */
    public static String idempotencyKey(String commandId, Principal target, String action) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((commandId + "\n" + target + "\n" + action).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static String idempotencyKey(String commandId, Principal target, Action action) {
        return idempotencyKey(commandId, target, action.wire);
    }

    /** Sends the body until an answer decides the outcome, the attempts run out, or the deadline nears. */
    private Revocation call(Action action, Principal target, ObjectNode body, long deadlineNanos) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            return Revocation.failed("cannot serialise the " + action.wire + " request: " + e.getOriginalMessage());
        }
        String key = body.get("idempotency_key").asText();
        long backoffNanos = config.backoff().toNanos();
        String lastError = "no attempt made";
        int attempt = 0;
        while (attempt < config.maxAttempts()) {
            Duration remaining = Duration.ofNanos(deadlineNanos - System.nanoTime());
            if (remaining.compareTo(MIN_ATTEMPT) < 0) {
                return gaveUp(action, target, attempt, lastError + "; deadline reached");
            }
            attempt++;
            Attempt result = send(action, target, bytes, key, min(config.timeout(), remaining), attempt);
            if (result.revocation != null) {
                return result.revocation;
            }
            lastError = result.error;
            if (attempt >= config.maxAttempts()) {
                break;
            }
            // The issuer's Retry-After, when longer than our backoff, is what it can take.
            long waitNanos = result.retryAfter == null ? backoffNanos : Math.max(result.retryAfter.toNanos(), backoffNanos);
            if (deadlineNanos - System.nanoTime() - waitNanos < MIN_ATTEMPT.toNanos()) {
                return gaveUp(action, target, attempt, lastError + "; no time left before the deadline for another attempt"
                        + (result.retryAfter == null ? "" : " (issuer asked to wait " + result.retryAfter.toMillis() + " ms)"));
            }
            log.warn("kill switch webhook {} of token {} at issuer {}: attempt {} failed ({}), retrying in {} ms",
                    action.wire, target.name(), config.issuer(), attempt, lastError, waitNanos / 1_000_000);
            if (!sleep(waitNanos)) {
                return gaveUp(action, target, attempt, lastError + "; interrupted while waiting to retry");
            }
            backoffNanos = Math.min(backoffNanos * 2, MAX_BACKOFF.toNanos());
        }
        return gaveUp(action, target, attempt, lastError);
    }

    private Attempt send(Action action, Principal target, byte[] body, String key, Duration timeout, int attempt) {
        long timestamp = clock.instant().getEpochSecond();
        HttpRequest.Builder builder = HttpRequest.newBuilder(config.url())
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header(IDEMPOTENCY_HEADER, key);
        // The idempotency key doubles as the Standard Webhooks message id: same on every retry, unique per message.
        config.scheme().headers(config.secret(), key, timestamp, body).forEach(builder::header);
        HttpRequest request = builder.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        CompletableFuture<HttpResponse<String>> future = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> response;
        try {
            // The request timeout bounds the exchange inside the client, but not necessarily the connect;
            // this bounds our wait to the attempt's share of the deadline regardless.
            response = future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return Attempt.retry("no answer within " + timeout.toMillis() + " ms", null);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            return Attempt.done(Revocation.failed("interrupted while calling the webhook of issuer " + config.issuer()
                    + " for token " + target.name() + "; the issuer may or may not have acted"));
        } catch (ExecutionException e) {
            return Attempt.retry(transportError(e.getCause(), timeout), null);
        }
        return answer(action, target, response, attempt);
    }

    private String transportError(Throwable cause, Duration timeout) {
        if (cause instanceof HttpConnectTimeoutException) {
            return "connect to " + config.displayUrl() + " timed out";
        }
        if (cause instanceof HttpTimeoutException) {
            return "no answer within " + timeout.toMillis() + " ms";
        }
        if (cause instanceof ConnectException) {
            return "cannot connect to " + config.displayUrl() + " (" + (cause.getMessage() == null
                    ? "refused or unreachable" : cause.getMessage()) + ")";
        }
        if (cause instanceof IOException) {
            return "I/O error talking to " + config.displayUrl() + ": " + cause;
        }
        return "error calling " + config.displayUrl() + ": " + cause;
    }

    /** Maps one HTTP answer to an outcome, or to a retry for the statuses a later attempt may cure. */
    private Attempt answer(Action action, Principal target, HttpResponse<String> response, int attempt) {
        int code = response.statusCode();
        String what = action.wire + " of token " + target.name() + " at issuer " + config.issuer();
        if (code == 408 || code == 429 || code >= 500) {
            return Attempt.retry("HTTP " + code + ": " + snippet(response.body()), retryAfter(response));
        }
        if (code < 200 || code >= 300) {
            return Attempt.done(Revocation.failed(what + " rejected with HTTP " + code + " (not retried): "
                    + snippet(response.body()) + " (after " + attempt + " attempt" + (attempt == 1 ? ")" : "s)")));
        }
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            json = null;
        }
        String status = json != null && json.path("status").isTextual() ? json.get("status").asText() : null;
        if (status == null) {
            return Attempt.done(Revocation.failed(what + ": HTTP " + code + " without a JSON status, unconfirmed: "
                    + snippet(response.body())));
        }
        String detail = json.path("detail").isTextual() ? " (" + snippet(json.get("detail").asText()) + ")" : "";
        boolean replayed = response.headers().firstValue(REPLAYED_HEADER).map("true"::equalsIgnoreCase).orElse(false);
        return Attempt.done(outcome(action, target, status, json.get("previous_state"), detail, replayed, attempt, code));
    }

    private Revocation outcome(Action action, Principal target, String status, JsonNode previous, String detail,
                               boolean replayed, int attempt, int code) {
        String token = "token " + target.name();
        if (action == Action.REVOKE && "revoked".equals(status)) {
            if (replayed && attempt == 1) {
                // An earlier delivery of this command revoked it; this one did nothing and its state was recorded then.
                return Revocation.of(RevocationOutcome.ALREADY_REVOKED, token + " was revoked by an earlier delivery of "
                        + "this command; issuer " + config.issuer() + " did nothing this time" + detail);
            }
            String state = previous == null || previous.isNull() ? "{}" : previous.toString();
            String lost = replayed ? " (an earlier attempt's answer was lost; the issuer replayed it)" : "";
            return Revocation.revoked(token + " revoked by issuer " + config.issuer() + lost + detail, state);
        }
        if (action == Action.REVOKE && "already_revoked".equals(status)) {
            return Revocation.of(RevocationOutcome.ALREADY_REVOKED, token + " was already revoked at issuer "
                    + config.issuer() + ", nothing changed" + detail);
        }
        if (action == Action.REINSTATE && "reinstated".equals(status)) {
            return Revocation.of(RevocationOutcome.REINSTATED, token + " reinstated by issuer " + config.issuer() + detail);
        }
        return Revocation.failed(action.wire + " of " + token + " at issuer " + config.issuer() + ": HTTP " + code
                + " with unexpected status '" + snippet(status) + "', unconfirmed");
    }

    private Revocation gaveUp(Action action, Principal target, int attempts, String lastError) {
        return Revocation.failed("webhook of issuer " + config.issuer() + " did not confirm " + action.wire + " of token "
                + target.name() + " after " + attempts + " attempt" + (attempts == 1 ? "" : "s") + ": " + lastError);
    }

    /** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
    private Duration retryAfter(HttpResponse<?> response) {
        String value = response.headers().firstValue("Retry-After").map(String::strip).orElse(null);
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value)));
        } catch (NumberFormatException e) {
            try {
                Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration wait = Duration.between(clock.instant(), at);
                return wait.isNegative() ? Duration.ZERO : wait;
            } catch (DateTimeParseException unreadable) {
                return null;
            }
        }
    }

    private static boolean sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** At most {@value #SNIPPET} characters, control characters escaped: other services' answers go into alerts. */
    static String snippet(String text) {
        if (text == null) {
            return "(empty)";
        }
        String cut = text.length() > SNIPPET ? text.substring(0, SNIPPET) + "...(" + text.length() + " chars)" : text;
        StringBuilder out = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.length() == 0 ? "(empty)" : out.toString();
    }

    private enum Action {
        REVOKE("revoke"), REINSTATE("reinstate");

        final String wire;

        Action(String wire) {
            this.wire = wire;
        }
    }

    /** One attempt's verdict: a final revocation, or an error worth retrying (with the issuer's Retry-After). */
    private record Attempt(Revocation revocation, String error, Duration retryAfter) {
        static Attempt done(Revocation revocation) {
            return new Attempt(revocation, null, null);
        }

        static Attempt retry(String error, Duration retryAfter) {
            return new Attempt(null, error, retryAfter);
        }
    }
}
