package dev.firebreak.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apicurio Registry (in-memory storage) as a child process on 127.0.0.1 and a free port. Its
 * Confluent-compatible API is {@link #confluentUrl()}. The child is destroyed on {@link #close()}
 * and, should this JVM exit without closing, by a shutdown hook.
 */
public final class ApicurioRegistry implements RegistryService {
    /** Environment variable overriding where the unpacked Apicurio distribution lives. */
    public static final String HOME_ENV = "FIREBREAK_APICURIO_HOME";
    private static final Logger LOG = LoggerFactory.getLogger(ApicurioRegistry.class);

    private final Process process;
    private final int port;
    private final Thread reaper;
    private final Path logFile;

    private ApicurioRegistry(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
        this.reaper = new Thread(process::destroyForcibly, "apicurio-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts the registry and waits until its Confluent API answers. */
    public static ApicurioRegistry start(Duration timeout) {
        Path runner = locateRunner();
        int port = freePort();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.enabled=false",
                "-Dquarkus.log.level=WARN",
                "-jar", runner.toString()));
        try {
            Path log = Files.createTempFile("firebreak-apicurio", ".log");
            Process process = new ProcessBuilder(command)
                    .directory(runner.getParent().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            ApicurioRegistry registry = new ApicurioRegistry(process, port, log);
            registry.awaitReady(timeout);
            return registry;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Apicurio Registry from " + runner, e);
        }
    }

    private void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(confluentUrl() + "/subjects"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Apicurio Registry exited with " + process.exitValue()
                        + "; its output is in " + logFile);
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    LOG.info("Apicurio Registry ready at {}", confluentUrl());
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("interrupted while waiting for Apicurio Registry", e);
            }
            sleep(200);
        }
        close();
        throw new IllegalStateException("Apicurio Registry not ready after " + timeout + "; its output is in " + logFile);
    }

    /** Base URL of the Confluent Schema Registry API. */
    @Override
    public String confluentUrl() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    @Override
    public String describe() {
        return "Apicurio Registry (pid " + pid() + ") at " + confluentUrl();
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, reaper);
    }

    static Path locateRunner() {
        Properties props = new Properties();
        try (InputStream in = ApicurioRegistry.class.getResourceAsStream("/firebreak-stack.properties")) {
            if (in != null) {
                props.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String runnerName = props.getProperty("apicurio.runner", "apicurio-registry-app-2.6.13.Final-runner.jar");
        String home = System.getenv(HOME_ENV);
        if (home == null || home.isBlank()) {
            home = props.getProperty("apicurio.home");
        }
        Path runner = home == null ? null : Path.of(home, runnerName);
        if (runner == null || !Files.isRegularFile(runner)) {
            throw new IllegalStateException("Apicurio Registry not found at " + runner + ": build the project with "
                    + "'mvn package' (it unpacks io.apicurio:apicurio-registry-app into stack/target/apicurio) or set "
                    + HOME_ENV + " to an unpacked distribution");
        }
        return runner;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
