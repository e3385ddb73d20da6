package dev.firebreak.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry client's basic auth and truststore against a stand-in registry (the JDK's HTTP
 * server speaking the few Confluent calls the client makes): Apicurio's own auth needs Keycloak.
 */
class RegistryAuthTest {
    static final String USER = "firebreak";
    static final String PASSWORD = "correct-horse-battery-staple";

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
        SchemaRegistries.configure(RegistryClientConfig.DEFAULT);
    }

    @Test
    void rightCredentialsSetCompatibilityOnEverySubjectBeforeItsFirstSchema(@TempDir Path dir) throws Exception {
        String url = start(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0), "http");
        Path pw = Files.writeString(dir.resolve("registry.pw"), PASSWORD + "\n");
        SchemaRegistries.configure(Map.of(RegistryClientConfig.USER, USER, RegistryClientConfig.PASSWORD_FILE, pw.toString()));

        SchemaRegistries.registerPipelineSchemas(url, new RegistryOutage("test"), Duration.ofSeconds(5));

        for (String topic : Topics.VALUE_SCHEMAS.keySet()) {
            String subject = topic + "-value";
            int config = requests.indexOf("PUT /config/" + subject + " {\"compatibility\":\"BACKWARD_TRANSITIVE\"}");
            int register = indexOfPrefix("POST /subjects/" + subject + "/versions ");
            assertThat(config).as(subject).isNotNegative().isLessThan(register);
        }
        assertThat(requests).allSatisfy(r -> assertThat(r).doesNotStartWith("401"));
        SchemaRegistries.forget(url);
    }

    @Test
    void wrongPasswordIsRefusedNotRetriedAndNeverPrinted() throws Exception {
        String url = start(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0), "http");
        String wrong = "wrong-password-0123";
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(url, Duration.ofSeconds(5),
                RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.USER, USER, RegistryClientConfig.PASSWORD_ENV, "PW"),
                        n -> wrong));
        HttpSchemaRegistryClient anonymous = new HttpSchemaRegistryClient(url, Duration.ofSeconds(5));

        for (HttpSchemaRegistryClient c : List.of(client, anonymous)) {
            assertThatThrownBy(() -> c.register("s-value", AuditEvent.getClassSchema()))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                        assertThat(e.status()).isEqualTo(401);
                        assertThat(e.registryUnavailable()).isFalse();
                        assertThat(e.getMessage()).contains(RegistryClientConfig.USER).doesNotContain(wrong);
                    });
        }
        assertThat(client.toString()).doesNotContain(wrong);
    }

    @Test
    void httpsRegistryIsTrustedThroughTheConfiguredTruststoreOnly(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("server.p12");
        Path truststore = dir.resolve("trust.p12");
        keytool("-genkeypair", "-alias", "registry", "-keyalg", "EC", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", "changeit", "-keypass", "changeit");
        Path cert = dir.resolve("registry.crt");
        keytool("-exportcert", "-alias", "registry", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "registry", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", truststore.toString(), "-storepass", "trustpass");
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(serverContext(keystore)));
        String url = start(https, "https");

        RegistryClientConfig trusting = RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.USER, USER,
                RegistryClientConfig.PASSWORD_ENV, "PW", RegistryClientConfig.TRUSTSTORE_LOCATION, truststore.toString(),
                RegistryClientConfig.TRUSTSTORE_PASSWORD_ENV, "TS_PW"), n -> n.equals("PW") ? PASSWORD : "trustpass");
        int id = new HttpSchemaRegistryClient(url, Duration.ofSeconds(5), trusting).register("s-value", AuditEvent.getClassSchema());
        assertThat(id).isEqualTo(1);

        RegistryClientConfig defaultTrust = RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.USER, USER,
                RegistryClientConfig.PASSWORD_ENV, "PW"), n -> PASSWORD);
        assertThatThrownBy(() -> new HttpSchemaRegistryClient(url, Duration.ofSeconds(5), defaultTrust)
                .register("s-value", AuditEvent.getClassSchema()))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(SchemaRegistryException.TLS_FAILED);
                    assertThat(e.registryUnavailable()).as("a trust problem is not waited out").isFalse();
                    assertThat(e.getMessage()).contains(RegistryClientConfig.TRUSTSTORE_LOCATION);
                });
    }

    /** A stand-in answering PUT /config/{s}, POST /subjects/{s}/versions; 401 without the right basic auth. */
    private String start(HttpServer http, String scheme) {
        server = http;
        String expected = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                requests.add("401 " + exchange.getRequestMethod() + " " + path);
                answer(exchange, 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
            } else if (exchange.getRequestMethod().equals("PUT") && path.startsWith("/config/")) {
                requests.add("PUT " + path + " " + body);
                answer(exchange, 200, body);
            } else if (exchange.getRequestMethod().equals("POST") && path.endsWith("/versions")) {
                requests.add("POST " + path + " ");
                answer(exchange, 200, "{\"id\":1}");
            } else {
                answer(exchange, 404, "{}");
            }
        });
        server.start();
        return scheme + "://127.0.0.1:" + server.getAddress().getPort();
    }

    private int indexOfPrefix(String prefix) {
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static SSLContext serverContext(Path keystore) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, "changeit".toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
