package dev.firebreak.oncall;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Pushes alerts to every Alertmanager of an HA set through the v2 API ({@code POST /api/v2/alerts}),
 * all of them in parallel, as Alertmanager's clustering expects: each instance must receive every alert
 * itself; the cluster only deduplicates the notifications. One {@link HttpClient} is kept for the
 * client's life so connections stay warm between pushes. Basic-auth credentials may be given as the
 * URL's user info; they are sent as a header and never printed.
 */
public final class AlertmanagerClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Target> targets;
    private final Duration timeout;
    private final ExecutorService executor;
    private final HttpClient http;

    /** The outcome of one push to one Alertmanager: accepted (2xx) or why not. */
    public record Delivery(String alertmanager, boolean accepted, String error) {
    }

    private record Target(URI endpoint, String printable, Optional<String> authorization) {
    }

    /**
     * @param baseUrls base URLs such as {@code http://am-1:9093}; the API path is appended
     * @param timeout  connect timeout and whole-request timeout of each push
     */
    public AlertmanagerClient(List<URI> baseUrls, Duration timeout) {
        if (baseUrls.isEmpty()) {
            throw new IllegalArgumentException("at least one Alertmanager URL is required");
        }
        this.targets = baseUrls.stream().map(AlertmanagerClient::target).toList();
        this.timeout = timeout;
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "firebreak-oncall-http");
            t.setDaemon(true);
            return t;
        });
        // HTTP/1.1: Alertmanager does not speak h2c, and an upgrade attempt costs a round trip.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .executor(executor).build();
    }

    /** The Alertmanagers pushed to, printable (credentials masked). */
    public List<String> alertmanagers() {
        return targets.stream().map(Target::printable).toList();
    }

    /**
     * Pushes the alerts to every Alertmanager and waits for all answers (each bounded by the timeout).
     * Never throws for an unreachable or refusing Alertmanager: that is a {@link Delivery} not accepted.
     *
     * @return one delivery per Alertmanager, in the order of the configured URLs
     */
    public List<Delivery> post(List<AlertmanagerAlert> alerts) {
        byte[] body = body(alerts);
        List<CompletableFuture<Delivery>> pending = new ArrayList<>();
        for (Target target : targets) {
            HttpRequest.Builder request = HttpRequest.newBuilder(target.endpoint())
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            target.authorization().ifPresent(a -> request.header("Authorization", a));
            pending.add(http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
                    .handle((response, error) -> delivery(target, response, error)));
        }
        return pending.stream().map(CompletableFuture::join).toList();
    }

    /** The JSON array the v2 API takes. */
    static byte[] body(List<AlertmanagerAlert> alerts) {
        ArrayNode array = JSON.createArrayNode();
        for (AlertmanagerAlert alert : alerts) {
            ObjectNode node = array.addObject();
            ObjectNode labels = node.putObject("labels");
            alert.labels().forEach(labels::put);
            ObjectNode annotations = node.putObject("annotations");
            alert.annotations().forEach(annotations::put);
            node.put("startsAt", alert.startsAt().toString());
            node.put("endsAt", alert.endsAt().toString());
            node.put("generatorURL", alert.generatorUrl());
        }
        try {
            return JSON.writeValueAsBytes(array);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write alerts as JSON", e);
        }
    }

    private static Delivery delivery(Target target, HttpResponse<String> response, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            return new Delivery(target.printable(), false, cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        }
        int status = response.statusCode();
        if (status / 100 == 2) {
            return new Delivery(target.printable(), true, "");
        }
        String body = response.body() == null ? "" : response.body().strip();
        return new Delivery(target.printable(), false, "HTTP " + status
                + (body.isEmpty() ? "" : ": " + (body.length() > 300 ? body.substring(0, 300) + "..." : body)));
    }

    private static Target target(URI base) {
        String path = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", "");
        URI endpoint = URI.create(base.getScheme() + "://" + base.getRawAuthority().replaceFirst("^.*@", "")
                + path + "/api/v2/alerts");
        Optional<String> authorization = Optional.ofNullable(base.getUserInfo()).map(info -> "Basic "
                + Base64.getEncoder().encodeToString(info.getBytes(StandardCharsets.UTF_8)));
        return new Target(endpoint, OnCallConfig.printable(base), authorization);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "AlertmanagerClient" + alertmanagers();
    }
}
