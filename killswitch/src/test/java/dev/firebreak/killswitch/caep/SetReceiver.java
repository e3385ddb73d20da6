package dev.firebreak.killswitch.caep;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Security Event Token receiver as RFC 8935 describes it, on 127.0.0.1: checks the media type and
 * bearer token, verifies the JWT's signature with the issuer's public key, and checks the SET against
 * RFC 8417 (typ, iss, aud, iat, jti, events), CAEP 1.0 {@code session-revoked} (event members) and
 * RFC 9493 ({@code sub_id}). Answers 202, or 400 with {@code {"err","description"}}; can be scripted to fail.
 */
public final class SetReceiver implements AutoCloseable {
    static final Set<String> INITIATING_ENTITIES = Set.of("admin", "user", "policy", "system");
    /** RFC 9493 §3 formats and the members each one requires. */
    static final Map<String, Set<String>> SUBJECT_FORMATS = Map.of(
            "account", Set.of("format", "uri"), "email", Set.of("format", "email"), "iss_sub", Set.of("format", "iss", "sub"),
            "opaque", Set.of("format", "id"), "phone_number", Set.of("format", "phone_number"), "did", Set.of("format", "url"),
            "uri", Set.of("format", "uri"), "aliases", Set.of("format", "identifiers"));

    /** One delivery: the raw token, the verified claims (null when refused) and the answer given. */
    public record Delivery(String jwt, JWTClaimsSet claims, int status, String problem) {
    }

    private final HttpServer server;
    private final JWSVerifier verifier;
    private final String issuer;
    private final String audience;
    private final String bearer;
    private final List<Delivery> deliveries = new ArrayList<>();
    private final Deque<Integer> scripted = new ArrayDeque<>();

    public SetReceiver(PublicKey issuerKey, String issuer, String audience, String bearer) throws Exception {
        this.verifier = issuerKey instanceof RSAPublicKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECPublicKey) issuerKey);
        this.issuer = issuer;
        this.audience = audience;
        this.bearer = bearer;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/events", this::handle);
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/events");
    }

    synchronized void script(int status) {
        scripted.add(status);
    }

    public synchronized List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String jwt = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.US_ASCII);
            Integer forced;
            synchronized (this) {
                forced = scripted.poll();
            }
            if (forced != null) {
                record(new Delivery(jwt, null, forced, "scripted"));
                respond(exchange, forced, "{\"err\":\"scripted\",\"description\":\"scripted failure\"}");
                return;
            }
            String problem = problem(exchange, jwt);
            JWTClaimsSet claims = problem == null ? parse(jwt) : null;
            int status = problem == null ? 202 : 400;
            record(new Delivery(jwt, claims, status, problem));
            respond(exchange, status, problem == null ? "" : "{\"err\":\"invalid_request\",\"description\":\""
                    + problem.replace("\"", "'") + "\"}");
        }
    }

    private synchronized void record(Delivery d) {
        deliveries.add(d);
        notifyAll();
    }

    /** Waits until {@code n} deliveries arrived or the timeout passed. */
    public synchronized List<Delivery> await(int n, long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (deliveries.size() < n && System.currentTimeMillis() < end) {
            wait(Math.max(1, end - System.currentTimeMillis()));
        }
        return List.copyOf(deliveries);
    }

    private String problem(HttpExchange exchange, String jwt) {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (!"application/secevent+jwt".equals(type)) {
            return "Content-Type must be application/secevent+jwt, was " + type;
        }
        if (bearer != null && !("Bearer " + bearer).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            return "missing or wrong bearer token";
        }
        try {
            SignedJWT set = SignedJWT.parse(jwt);
            if (!set.verify(verifier)) {
                return "signature does not verify";
            }
            if (!new JOSEObjectType("secevent+jwt").equals(set.getHeader().getType())) {
                return "typ must be secevent+jwt";
            }
            return claimsProblem(set.getJWTClaimsSet());
        } catch (Exception e) {
            return "not a signed JWT: " + e.getMessage();
        }
    }

    private String claimsProblem(JWTClaimsSet c) throws Exception {
        if (!issuer.equals(c.getIssuer())) {
            return "iss " + c.getIssuer();
        }
        if (!c.getAudience().equals(List.of(audience))) {
            return "aud " + c.getAudience();
        }
        if (c.getIssueTime() == null || c.getJWTID() == null || c.getJWTID().isBlank()) {
            return "iat and jti are required (RFC 8417 §2.2)";
        }
        if (c.getSubject() != null || c.getExpirationTime() != null) {
            return "sub (use sub_id) and exp are not expected";
        }
        Map<String, Object> events = c.getJSONObjectClaim("events");
        if (events == null || events.size() != 1
                || !events.containsKey("https://schemas.openid.net/secevent/caep/event-type/session-revoked")) {
            return "events must hold exactly the CAEP session-revoked event, was " + events;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> event = (Map<String, Object>) events.values().iterator().next();
        if (!(event.get("event_timestamp") instanceof Number)) {
            return "event_timestamp must be a NumericDate";
        }
        if (event.containsKey("initiating_entity") && !INITIATING_ENTITIES.contains(event.get("initiating_entity"))) {
            return "initiating_entity " + event.get("initiating_entity");
        }
        for (String reason : List.of("reason_admin", "reason_user")) {
            if (event.containsKey(reason) && !(event.get(reason) instanceof Map<?, ?> m
                    && m.values().stream().allMatch(String.class::isInstance) && !m.isEmpty())) {
                return reason + " must map language tags to strings";
            }
        }
        Map<String, Object> subId = c.getJSONObjectClaim("sub_id");
        if (subId == null || !(subId.get("format") instanceof String format) || !SUBJECT_FORMATS.containsKey(format)) {
            return "sub_id must be an RFC 9493 subject identifier, was " + subId;
        }
        if (!subId.keySet().equals(SUBJECT_FORMATS.get(format))
                || subId.values().stream().anyMatch(v -> !(v instanceof String s) || s.isEmpty())) {
            return "sub_id of format " + format + " must have exactly " + SUBJECT_FORMATS.get(format) + " as strings";
        }
        return null;
    }

    private static JWTClaimsSet parse(String jwt) {
        try {
            return SignedJWT.parse(jwt).getJWTClaimsSet();
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
