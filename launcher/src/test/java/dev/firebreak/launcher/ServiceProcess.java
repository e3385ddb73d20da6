package dev.firebreak.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** One pipeline stage as a child JVM ({@code firebreak service <stage>}), so a test can SIGKILL it. */
final class ServiceProcess implements AutoCloseable {
    private final Process process;
    private final String metricsUrl;

    private ServiceProcess(Process process, String metricsUrl) {
        this.process = process;
        this.metricsUrl = metricsUrl;
    }

    /** Starts the stage and returns once it printed its READY line; retries while a predecessor's resources linger. */
    static ServiceProcess start(String stage, Path config) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        for (int attempt = 1; ; attempt++) {
            Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                    FirebreakCli.class.getName(), "service", stage, "--config", config.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("FIREBREAK_SERVICE_READY")) {
                    drain(out);
                    return new ServiceProcess(process, line.substring(line.indexOf("metrics=") + "metrics=".length()).strip());
                }
            }
            // e.g. the old walsender may still hold the replication slot for a moment after a kill
            if (attempt == 3) {
                throw new IllegalStateException(stage + " did not start, exit " + process.waitFor());
            }
            Thread.sleep(1000);
        }
    }

    /** The service's {@code /metrics} page, as Prometheus would scrape it. */
    String scrapeMetrics() throws IOException, InterruptedException {
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(metricsUrl)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(metricsUrl + " answered " + response.statusCode());
        }
        return response.body();
    }

    /** The status code of the service's {@code path}, e.g. {@code /health/ready}, on the metrics server. */
    int probe(String path) throws IOException, InterruptedException {
        String base = metricsUrl.substring(0, metricsUrl.length() - "/metrics".length());
        return java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** SIGKILL: no shutdown hook, no final commit. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    // The child logs to stdout under the test logback config; a full pipe would block it.
    private static void drain(BufferedReader out) {
        Thread drainer = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (IOException e) {
                // process gone
            }
        }, "service-stdout-drain");
        drainer.setDaemon(true);
        drainer.start();
    }
}
