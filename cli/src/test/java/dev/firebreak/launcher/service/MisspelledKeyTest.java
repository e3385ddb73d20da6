package dev.firebreak.launcher.service;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.launcher.service.ServiceCommand.StageName;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The "done when" of issue 16: a misspelled key fails start-up in every stage, through the same
 * factory {@code service <stage>} and the demo's pipeline run, naming the key and the nearest known one.
 */
class MisspelledKeyTest {
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            "ingest, firebreak.ingest.pg.hots, firebreak.ingest.pg.host",
            "detection, firebreak.detection.rules.pth, firebreak.detection.rules.path",
            "killswitch, firebreak.killswitch.bootstrap.server, firebreak.killswitch.bootstrap.servers",
            "oncall, firebreak.oncall.alertmanager.url, firebreak.oncall.alertmanager.urls",
            "export, firebreak.export.ocsf.enabeld, firebreak.export.ocsf.enabled",
    })
    void aMisspelledKeyFailsTheStagesStart(StageName stage, String misspelled, String meant) {
        Map<String, String> settings = Map.of(misspelled, "x");
        assertThatThrownBy(() -> ServiceCommand.factory(stage).create(settings, new SimpleMeterRegistry()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown setting " + misspelled)
                .hasMessageContaining("did you mean " + meant + "?");
    }
}
