package dev.firebreak.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.detect.DetectionConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The bench's options and settings: bad values fail before anything starts, naming the option.
 * The bench itself never runs in the test suite (its figures would be noise here).
 */
class DetectionBenchCommandTest {

    private static int run(ByteArrayOutputStream err, String... args) {
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true));
        try {
            return new CommandLine(new DetectionBenchCommand()).execute(args);
        } finally {
            System.setErr(saved);
        }
    }

    @Test
    void badOptionsExitTwoNamingTheOptionBeforeStartingTheStack() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(run(err, "--registry", "confluent")).isEqualTo(2);
        assertThat(err.toString()).contains("--registry=confluent").contains("allowed: apicurio, memory");

        err.reset();
        assertThat(run(err, "--instances", "1,9")).isEqualTo(2);
        assertThat(err.toString()).contains("--instances");

        err.reset();
        assertThat(run(err, "--set", "application.id=shared")).isEqualTo(2);
        assertThat(err.toString()).contains("--set " + DetectionConfig.APPLICATION_ID + " is not allowed");

        err.reset();
        assertThat(run(err, "--events", "30", "--bursts", "20")).isEqualTo(2); // the workload cannot hold them
        assertThat(err.toString()).contains("raise --events or lower --bursts");
    }

    @Test
    void setKeysReachDetectionAsThePipelineNamesThem() {
        Map<String, String> m = DetectionRunner.configMap("app", "mem://r", "h:1", Path.of("/tmp/s"),
                Map.of("baselines.enabled", "false", "streams.num.stream.threads", "2"));
        DetectionConfig config = DetectionConfig.fromMap(m);

        assertThat(config.baselines()).isFalse();
        assertThat(config.toStreamsProperties().getProperty("num.stream.threads")).isEqualTo("2");
        assertThat(config.processingGuarantee()).isEqualTo("exactly_once_v2");
        assertThat(config.reissue().enabled()).isTrue(); // as the pipeline runs it
        assertThat(DetectionRunner.refusedOverride(Map.of("firebreak.detection.state.dir", "/x")))
                .isEqualTo(DetectionConfig.STATE_DIR);
        assertThat(DetectionRunner.refusedOverride(Map.of("streams.commit.interval.ms", "50"))).isNull();
        assertThat(DetectionRunner.detectionKey("kafka.poll.ms")).as("the old spelling, written as the new one")
                .isEqualTo(DetectionConfig.STREAMS_PREFIX + "poll.ms");
    }
}
