package dev.firebreak.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prometheus Alertmanager as a child process on 127.0.0.1 and a free (or given) port, clustering off,
 * storage in a temporary directory. {@link #close()} stops it and deletes that directory; should this
 * JVM exit without closing, a shutdown hook kills it.
 */
public final class AlertmanagerProcess implements AutoCloseable {
    /** Environment variable overriding the binary's path. */
    public static final String BIN_ENV = "FIREBREAK_ALERTMANAGER_BIN";
    public static final String DEFAULT_BIN = "/usr/bin/prometheus-alertmanager";
    private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerProcess.class);

    private final Process process;
    private final int port;
    private final Path directory;
    private final Thread reaper;

    private AlertmanagerProcess(Process process, int port, Path directory) {
        this.process = process;
        this.port = port;
        this.directory = directory;
        this.reaper = new Thread(process::destroyForcibly, "alertmanager-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts Alertmanager with {@code configFile} on a free port and waits until it is ready. */
    public static AlertmanagerProcess start(Path configFile, Duration timeout) {
        return start(configFile, freePort(), timeout);
    }

    /**
     * Starts Alertmanager with {@code configFile} on {@code port} and waits until {@code /-/ready} answers.
     * A given port lets a client be configured before Alertmanager runs.
     */
    public static AlertmanagerProcess start(Path configFile, int port, Duration timeout) {
        Path binary = binary(System.getenv(BIN_ENV));
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException("Alertmanager configuration not found: " + configFile);
        }
        try {
            Path directory = Files.createTempDirectory("firebreak-alertmanager");
            Path log = directory.resolve("alertmanager.log");
            Process process = new ProcessBuilder(List.of(binary.toString(),
                    "--config.file=" + configFile.toAbsolutePath(),
                    "--storage.path=" + directory.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port,
                    "--cluster.listen-address=",
                    "--log.level=warn"))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            AlertmanagerProcess alertmanager = new AlertmanagerProcess(process, port, directory);
            alertmanager.awaitReady(timeout, log);
            return alertmanager;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Alertmanager from " + binary, e);
        }
    }

    /** The binary: {@code configured} (from {@value #BIN_ENV}) or {@value #DEFAULT_BIN}; fails with how to install it. */
    static Path binary(String configured) {
        Path binary = Path.of(configured == null || configured.isBlank() ? DEFAULT_BIN : configured);
        if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
            throw new IllegalStateException("Alertmanager binary not found at " + binary
                    + ": install the Debian package prometheus-alertmanager (apt-get install prometheus-alertmanager) or set "
                    + BIN_ENV + " to an alertmanager executable");
        }
        return binary;
    }

    private void awaitReady(Duration timeout, Path log) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/-/ready")).timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String output = tail(log);
                close();
                throw new IllegalStateException("Alertmanager exited with " + process.exitValue() + ": " + output);
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    LOG.info("Alertmanager ready at {}", url());
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("interrupted while waiting for Alertmanager", e);
            }
            sleep(100);
        }
        String output = tail(log);
        close();
        throw new IllegalStateException("Alertmanager not ready after " + timeout + ": " + output);
    }

    /** Base URL, e.g. {@code http://127.0.0.1:40123}; the v2 API is under {@code /api/v2}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** The temporary directory holding storage and output, deleted on {@link #close()}. */
    Path directory() {
        return directory;
    }

    /** A free port on the loopback interface (free now; another process may take it before it is used). */
    public static int freePort() {
        return ApicurioRegistry.freePort();
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, reaper);
        ChildProcesses.deleteTree(directory);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "(no output)" : String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
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
