package dev.firebreak.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.config.Settings;
import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.ingest.IngestConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SettingsReferenceTest {

    @Test
    void theCommittedReferenceIsTheGeneratedOne() throws Exception {
        Path committed = RepoFiles.root().resolve(Settings.REFERENCE);
        String generated = SettingsReference.generate();
        assertThat(Files.exists(committed) ? Files.readString(committed, StandardCharsets.UTF_8) : "")
                .as(Settings.REFERENCE + " is stale: a definition changed. Regenerate it from the repository root with"
                        + " `mvn -B -ntp -q -pl cli -am verify -DskipTests && " + SettingsReference.REGENERATE + "`")
                .isEqualTo(generated);
    }

    @Test
    void everyKeyIsListedWithItsDefaultButNoSecretIs() {
        String text = SettingsReference.generate();
        Settings.definitions().forEach(d -> d.definition().names().forEach(key -> assertThat(text).contains("`" + key + "`")));
        assertThat(text).contains("| `firebreak.ingest.pg.port` | int | `5432` | 1..65535 | high |")
                .contains("| `" + DetectionConfig.COMMAND_SIGNING_SECRET + "` | password | (none) |")
                .contains("| `firebreak.ingest.kafka.bootstrap.servers` | `" + IngestConfig.BOOTSTRAP_SERVERS + "` |")
                .contains("| `kafka.*` | `firebreak.detection.streams.*` |")
                .contains("`${env:NAME}`").contains("`${file:/path/file.properties:key}`").contains("`${dir:/run/secrets:name}`")
                .contains("| `" + IngestConfig.DEBEZIUM_PREFIX + "*` |");
        assertThat(text).as("the kill switch's and on-call's old pass-throughs are deprecated spellings, not open prefixes")
                .contains("| `kafka.consumer.*` | `firebreak.killswitch.consumer.*`, `firebreak.oncall.consumer.*` |")
                .contains("| `kafka.producer.*` | `firebreak.killswitch.producer.*` |")
                .doesNotContain("| `kafka.consumer.*` | Deprecated");
        assertThat(text.indexOf("## Stage: ingest")).isLessThan(text.indexOf("## Stage: detection"));
    }
}
