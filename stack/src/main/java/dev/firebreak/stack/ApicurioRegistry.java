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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apicurio Registry (its default storage, an in-memory H2 database) as a child process on
 * 127.0.0.1 and a free port. Its Confluent-compatible API is {@link #confluentUrl()}. The child is
 * destroyed on {@link #close()} and, should this JVM exit without closing, by a shutdown hook.
 *
 * <p>Apicurio Registry 3 is built for Java {@value #MIN_JAVA}, while Firebreak itself stays on Java 17:
 * the child runs on {@link #JAVA_ENV} if set, else on this JVM if it is new enough, else on the newest
 * JDK of at least that version under {@code /usr/lib/jvm} (see {@link #locateJava}).
 */
public final class ApicurioRegistry implements RegistryService {
    /** Environment variable overriding where the unpacked Apicurio distribution lives. */
    public static final String HOME_ENV = "FIREBREAK_APICURIO_HOME";
    /** Environment variable naming the {@code java} executable the registry runs on. */
    public static final String JAVA_ENV = "FIREBREAK_APICURIO_JAVA";
    /** The oldest Java that runs Apicurio Registry 3 (its classes are Java 21 class files). */
    public static final int MIN_JAVA = 21;
    private static final Path JVM_ROOT = Path.of("/usr/lib/jvm");
    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"?(\\d+)");
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
        Path java = locateJava(System.getenv(JAVA_ENV), Path.of(System.getProperty("java.home")),
                Runtime.version().feature(), JVM_ROOT);
        List<String> command = new ArrayList<>(List.of(java.toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                // Apicurio's build turns Quarkus' management interface on, and that build-time choice
                // ignores a runtime "enabled=false": left alone it binds 0.0.0.0:9000, so a second
                // registry on the machine fails to start. Give it loopback and a free port instead.
                "-Dquarkus.management.enabled=false",
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + freePort(),
                "-Dquarkus.log.level=WARN",
                // Apicurio 3 logs every request and every schema registration at INFO
                "-Dquarkus.http.access-log.enabled=false",
                "-Dquarkus.log.category.\"io.apicurio\".level=WARN",
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
        String runnerName = props.getProperty("apicurio.runner", "quarkus-run.jar");
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

    /**
     * The {@code java} the registry runs on: {@code configured} (the value of {@link #JAVA_ENV}) if
     * set, else this JVM's if its feature version is at least {@link #MIN_JAVA}, else the newest JDK
     * of at least that version under {@code jvmRoot} (by the {@code JAVA_VERSION} of its {@code release}
     * file). Fails naming {@link #JAVA_ENV} when there is none.
     */
    static Path locateJava(String configured, Path javaHome, int feature, Path jvmRoot) {
        if (configured != null && !configured.isBlank()) {
            Path java = Path.of(configured);
            if (!Files.isExecutable(java)) {
                throw new IllegalStateException(JAVA_ENV + "=" + configured + " is not an executable java (Java "
                        + MIN_JAVA + " or newer)");
            }
            return java;
        }
        if (feature >= MIN_JAVA) {
            return javaHome.resolve("bin").resolve("java");
        }
        Path best = null;
        int bestFeature = 0;
        try (var homes = Files.isDirectory(jvmRoot) ? Files.list(jvmRoot) : java.util.stream.Stream.<Path>empty()) {
            for (Path home : (Iterable<Path>) homes.sorted()::iterator) {
                Path java = home.resolve("bin").resolve("java");
                int f = releaseFeature(home);
                if (f >= MIN_JAVA && f > bestFeature && Files.isExecutable(java)) {
                    best = java;
                    bestFeature = f;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + jvmRoot, e);
        }
        if (best == null) {
            throw new IllegalStateException("Apicurio Registry needs Java " + MIN_JAVA + " or newer; this JVM is "
                    + feature + " and there is none under " + jvmRoot + ": set " + JAVA_ENV + " to such a java");
        }
        LOG.debug("Apicurio Registry runs on Java {} at {}", bestFeature, best);
        return best;
    }

    /** The feature version in a JDK's {@code release} file, 0 when it has none or it does not say. */
    static int releaseFeature(Path home) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) {
            return 0;
        }
        try {
            Matcher m = JAVA_VERSION.matcher(Files.readString(release));
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
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
