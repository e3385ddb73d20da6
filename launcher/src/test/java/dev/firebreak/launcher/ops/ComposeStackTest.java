package dev.firebreak.launcher.ops;

import static dev.firebreak.launcher.ops.OpsFiles.list;
import static dev.firebreak.launcher.ops.OpsFiles.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.pglog.ServerLogConfig;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.oncall.OnCallConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml: valid for Docker Compose, every file it mounts or builds from is in the
 * repository, every scrape target of prometheus/prometheus.yml is one of its services on the port
 * that service serves metrics on, and every Firebreak service's properties file is accepted by the
 * config classes that service reads at start-up.
 */
class ComposeStackTest {
    private static final List<String> STAGES = List.of("ingest", "detection", "killswitch", "oncall");

    @Test
    void composeAcceptsTheFile() throws Exception {
        OpsFiles.run("docker-compose", "docker-compose", "-f", "docker-compose.yml", "config", "-q");
    }

    @Test
    void everyMountedFileAndTheBuildAreInTheRepository() throws IOException {
        Path root = OpsFiles.root();
        services().forEach((name, service) -> {
            for (Object volume : list(map(service).get("volumes"))) {
                String source = ((String) volume).split(":")[0];
                if (source.startsWith("./")) {
                    assertThat(root.resolve(source)).as(name + " mounts " + source).exists();
                }
            }
            Map<String, Object> build = map(map(service).get("build"));
            if (!build.isEmpty()) {
                Path context = root.resolve((String) build.get("context"));
                assertThat(context.resolve((String) build.getOrDefault("dockerfile", "Dockerfile"))).as(name + " Dockerfile").isRegularFile();
            }
        });
    }

    @Test
    void everyPrometheusTargetIsAComposeServiceServingMetricsOnThatPort() throws IOException {
        Map<String, Object> services = services();
        Map<String, Object> prometheus = OpsFiles.yaml(OpsFiles.root().resolve("prometheus/prometheus.yml"));
        List<String> jobs = new java.util.ArrayList<>();
        for (Object job : list(prometheus.get("scrape_configs"))) {
            String jobName = (String) map(job).get("job_name");
            jobs.add(jobName);
            for (String target : targets(map(job))) {
                String host = target.split(":")[0];
                if (!host.equals("localhost")) {
                    assertThat(services).as(jobName + " target " + target).containsKey(host);
                }
                if (jobName.startsWith("firebreak-")) {
                    assertThat(host).isEqualTo(jobName.substring("firebreak-".length()));
                    assertThat(command(services, host)).as(host + " serves metrics where " + jobName + " scrapes")
                            .containsSubsequence("--metrics-address", "0.0.0.0:" + target.split(":")[1]);
                }
            }
        }
        assertThat(jobs).contains("firebreak-ingest", "firebreak-detection", "firebreak-killswitch", "firebreak-oncall");
        for (Object alerting : list(map(prometheus.get("alerting")).get("alertmanagers"))) {
            targets(map(alerting)).forEach(t -> assertThat(services).as("alertmanager " + t).containsKey(t.split(":")[0]));
        }
    }

    @Test
    void everyFirebreakServiceRunsItsStageWithAConfigFileFromTheRepository() throws IOException {
        Map<String, Object> services = services();
        for (String stage : STAGES) {
            List<String> command = command(services, stage);
            assertThat(command).as(stage).startsWith("service", stage, "--config");
            Path config = repositoryFile(services, stage, command.get(3));
            assertThat(config).as(stage + " config").isRegularFile();
        }
    }

    @Test
    void everyFirebreakServiceIsHealthyWhenItsStageIsReady() throws IOException {
        Map<String, Object> services = services();
        for (String stage : STAGES) {
            Map<String, Object> healthcheck = map(map(services.get(stage)).get("healthcheck"));
            assertThat(String.join(" ", list(healthcheck.get("test")).stream().map(String::valueOf).toList()))
                    .as(stage + " healthcheck").contains("http://localhost:9400/health/ready")
                    .doesNotContain("/metrics");
        }
    }

    @Test
    void propertiesFilesAreAcceptedByTheConfigClassesOfTheirStage() throws IOException {
        Map<String, Consumer<Map<String, String>>> parsers = Map.of(
                "ingest", m -> {
                    IngestConfig ingest = IngestConfig.fromMap(m);
                    assertThat(ingest.offsetsReplicationFactor()).as("one broker in compose").isEqualTo(1);
                    assertThat(AgentActionConfig.fromMap(m).httpBindAddress()).isEqualTo("0.0.0.0");
                    assertThat(ServerLogConfig.fromMap(m)).as("server-log path on").isNotNull();
                },
                "detection", DetectionConfig::fromMap,
                "killswitch", KillSwitchConfig::fromMap,
                "oncall", m -> assertThat(OnCallConfig.fromMap(m)).as("paging on").isPresent());
        Map<String, Object> services = services();
        for (Map.Entry<String, Consumer<Map<String, String>>> parser : parsers.entrySet()) {
            String stage = parser.getKey();
            Map<String, String> settings = read(repositoryFile(services, stage, command(services, stage).get(3)));
            assertThatCode(() -> parser.getValue().accept(settings)).as(stage + " properties").doesNotThrowAnyException();
            // The dashboard link is opened by a person's browser, where Grafana is published on localhost.
            settings.forEach((k, v) -> assertThat(k.endsWith("dashboard.url") ? "" : v)
                    .as(stage + " values point at compose services, not loopback").doesNotContain("127.0.0.1", "localhost"));
        }
    }

    private static Map<String, Object> services() throws IOException {
        return map(OpsFiles.yaml(OpsFiles.root().resolve("docker-compose.yml")).get("services"));
    }

    @SuppressWarnings("unchecked")
    private static List<String> command(Map<String, Object> services, String service) {
        assertThat(services).containsKey(service);
        return (List<String>) (List<?>) list(map(services.get(service)).get("command"));
    }

    private static List<String> targets(Map<String, Object> scrapeConfig) {
        return list(scrapeConfig.get("static_configs")).stream()
                .flatMap(c -> list(map(c).get("targets")).stream()).map(String.class::cast).toList();
    }

    /** The repository file a container path of {@code service} comes from, through its bind mounts. */
    private static Path repositoryFile(Map<String, Object> services, String service, String containerPath) {
        for (Object volume : list(map(services.get(service)).get("volumes"))) {
            String[] parts = ((String) volume).split(":");
            if (parts[0].startsWith("./") && containerPath.startsWith(parts[1] + "/")) {
                return OpsFiles.root().resolve(parts[0]).resolve(containerPath.substring(parts[1].length() + 1));
            }
        }
        throw new AssertionError(service + ": " + containerPath + " is not inside a directory mounted from the repository");
    }

    private static Map<String, String> read(Path file) throws IOException {
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            props.load(in);
        }
        Map<String, String> map = new HashMap<>();
        props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k).trim()));
        return map;
    }
}
