package dev.firebreak.killswitch.caep;

import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes a CAEP {@code session-revoked} Security Event Token to every configured receiver once the kill
 * switch has revoked a credential and published the result: RFC 8935 push delivery, one POST of
 * {@code application/secevent+jwt} per receiver, {@code 202 Accepted} expected.
 *
 * <p>Only {@code REVOKE} results with outcome {@code REVOKED} are pushed: a failed, refused, dry-run or
 * already-revoked target announces nothing (its sessions were not revoked by this command). Pushing
 * runs on its own thread behind a bounded queue, so a slow receiver never delays a revocation; 5xx,
 * 408, 429, timeouts and refused connections are retried with doubling backoff, a 4xx other than those
 * is the receiver refusing that SET (RFC 8935 §2.3) and is not. Every give-up is a WARN with rule,
 * principal and window. At most once across a kill switch restart: a SET still queued at a crash is lost.
 */
public final class SecurityEventPublisher implements AutoCloseable {
    public static final String DELIVERIES = "firebreak.killswitch.security.events";
    private static final Logger log = LoggerFactory.getLogger(SecurityEventPublisher.class);
    private static final int SNIPPET = 200;

    private final SecurityEventConfig config;
    private final SessionRevokedToken tokens;
    private final HttpClient client;
    private final ThreadPoolExecutor executor;
    private final MeterRegistry meters;
    private final Clock clock;

    public SecurityEventPublisher(SecurityEventConfig config, MeterRegistry meters) {
        this(config, meters, Clock.systemUTC());
    }

    SecurityEventPublisher(SecurityEventConfig config, MeterRegistry meters, Clock clock) {
        this.config = config;
        this.tokens = new SessionRevokedToken(config);
        this.meters = meters;
        this.clock = clock;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(config.queueLimit()), r -> {
                    Thread t = new Thread(r, "firebreak-caep-push");
                    t.setDaemon(true);
                    return t;
                });
        log.info("kill switch pushes CAEP session-revoked SETs: {}", config);
    }

    /** A publisher for the {@code firebreak.killswitch.caep.*} keys of {@code map}, if any are set. */
    public static Optional<SecurityEventPublisher> fromConfig(java.util.Map<String, String> map, MeterRegistry meters) {
        return SecurityEventConfig.fromMap(map).map(c -> new SecurityEventPublisher(c, meters));
    }

    /** Queues the pushes {@code result} calls for; returns at once. */
    public void published(RevocationResult result) {
        if (result.getAction() != RevocationAction.REVOKE || result.getOutcome() != RevocationOutcome.REVOKED) {
            return;
        }
        for (SecurityEventConfig.Receiver receiver : config.receivers()) {
            try {
                executor.execute(() -> push(result, receiver));
            } catch (RejectedExecutionException e) {
                count(receiver, "dropped");
                log.warn("CAEP SET for {} not pushed to {}: {} pushes already queued (rule {}, principal {}, window {}..{} us)",
                        result.getTarget(), receiver.name(), config.queueLimit(), result.getRuleId(), result.getPrincipal(),
                        result.getWindowStartUs(), result.getWindowEndUs());
            }
        }
    }

    private void push(RevocationResult result, SecurityEventConfig.Receiver receiver) {
        String jwt = tokens.build(result, receiver, clock.instant());
        long backoff = receiver.backoff().toMillis();
        String last = "";
        for (int attempt = 1; attempt <= receiver.maxAttempts(); attempt++) {
            Verdict verdict = attempt(receiver, jwt);
            if (verdict == Verdict.DELIVERED) {
                count(receiver, "delivered");
                log.info("CAEP session-revoked for {} delivered to {} (attempt {})", result.getTarget(), receiver.name(),
                        attempt);
                return;
            }
            last = verdict.detail;
            if (!verdict.retry) {
                giveUp(result, receiver, "rejected", attempt, last);
                return;
            }
            if (attempt < receiver.maxAttempts() && !sleep(backoff)) {
                break;
            }
            backoff = Math.min(backoff * 2, 30_000);
        }
        giveUp(result, receiver, "failed", receiver.maxAttempts(), last);
    }

    private Verdict attempt(SecurityEventConfig.Receiver receiver, String jwt) {
        HttpRequest.Builder request = HttpRequest.newBuilder(receiver.url()).timeout(receiver.timeout())
                .header("Content-Type", SessionRevokedToken.MEDIA_TYPE)
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jwt));
        if (receiver.authToken() != null) {
            request.header("Authorization", "Bearer " + receiver.authToken());
        }
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            int code = response.statusCode();
            if (code == 202) {
                return Verdict.DELIVERED;
            }
            String detail = "HTTP " + code + ": " + snippet(response.body());
            boolean retry = code == 408 || code == 429 || code >= 500;
            return new Verdict(retry, detail);
        } catch (IOException e) {
            return new Verdict(true, e.getClass().getSimpleName() + ": " + snippet(String.valueOf(e.getMessage())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Verdict(false, "interrupted (shutting down)");
        }
    }

    private void giveUp(RevocationResult result, SecurityEventConfig.Receiver receiver, String outcome, int attempts,
                        String detail) {
        count(receiver, outcome);
        log.warn("CAEP SET for {} not delivered to {} after {} attempt(s): {} (rule {}, principal {}, window {}..{} us)",
                result.getTarget(), receiver.name(), attempts, detail, result.getRuleId(), result.getPrincipal(),
                result.getWindowStartUs(), result.getWindowEndUs());
    }

    private void count(SecurityEventConfig.Receiver receiver, String outcome) {
        Counter.builder(DELIVERIES).description("CAEP session-revoked SETs pushed per receiver, by outcome")
                .tag("receiver", receiver.name()).tag("outcome", outcome).register(meters).increment();
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String snippet(String text) {
        String cut = text == null ? "" : text.length() > SNIPPET ? text.substring(0, SNIPPET) + "..." : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    /** Waits up to {@code grace} for queued pushes, then stops. */
    public void close(Duration grace) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("CAEP pushes still queued at shutdown were dropped: {}", executor.getQueue().size());
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    private record Verdict(boolean retry, String detail) {
        static final Verdict DELIVERED = new Verdict(false, "delivered");
    }
}
