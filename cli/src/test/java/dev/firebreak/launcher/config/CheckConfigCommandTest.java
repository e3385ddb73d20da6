package dev.firebreak.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.launcher.FirebreakCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CheckConfigCommandTest {
    private static final String DETECTION = """
            firebreak.detection.bootstrap.servers=kafka:9092
            firebreak.detection.schema.registry.url=http://registry:8080/apis/ccompat/v7
            firebreak.detection.command.signing.secret=check-config-test-secret-0123456789abcdef
            """;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = new CommandLine(new FirebreakCli());
        cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        return FirebreakCli.run(cli, args);
    }

    private static Path file(Path dir, String text) throws Exception {
        return Files.writeString(dir.resolve("stage.properties"), text);
    }

    @Test
    void aGoodFileIsOk(@TempDir Path dir) throws Exception {
        assertThat(run("check-config", "--config", file(dir, DETECTION).toString(), "--stage", "detection"))
                .isEqualTo(CheckConfigCommand.OK);
        assertThat(out.toString()).isEqualTo("ok" + System.lineSeparator());
        assertThat(run("check-config", "--config", file(dir, "firebreak.ingest.cluster=eu\n").toString(), "--stage", "ingest"))
                .isEqualTo(CheckConfigCommand.OK);
    }

    @Test
    void aMisspelledKeyIsNamedWithTheNearestKnownOne(@TempDir Path dir) throws Exception {
        Path f = file(dir, DETECTION + "firebreak.detection.state.dri=/var/lib/x\n");
        assertThat(run("check-config", "--config", f.toString(), "--stage", "detection")).isEqualTo(CheckConfigCommand.INVALID);
        assertThat(err.toString()).contains("unknown setting firebreak.detection.state.dri")
                .contains("did you mean firebreak.detection.state.dir?");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aBadValueIsNamedWithWhatIsAllowed(@TempDir Path dir) throws Exception {
        Path f = file(dir, "firebreak.ingest.pg.port=70000\n");
        assertThat(run("check-config", "--config", f.toString(), "--stage", "ingest")).isEqualTo(CheckConfigCommand.INVALID);
        assertThat(err.toString()).contains("invalid firebreak.ingest.pg.port=70000; allowed: 1..65535");
    }

    @Test
    void withoutAStageEveryStageMustBeSatisfied(@TempDir Path dir) throws Exception {
        assertThat(run("check-config", "--config", file(dir, DETECTION).toString())).isEqualTo(CheckConfigCommand.INVALID);
        assertThat(err.toString()).contains("killswitch: ");
    }

    @Test
    void aSecretFromTheEnvironmentIsResolvedAndAMissingOneNamesTheKey(@TempDir Path dir) throws Exception {
        // PATH is set wherever the tests run; any value is a valid password.
        Path viaEnv = file(dir, "firebreak.ingest.pg.password=${env:PATH}\n");
        assertThat(run("check-config", "--config", viaEnv.toString(), "--stage", "ingest")).as(err.toString())
                .isEqualTo(CheckConfigCommand.OK);
        Path missing = file(dir, "firebreak.ingest.pg.password=${env:FIREBREAK_NO_SUCH_VARIABLE_42}\n");
        assertThat(run("check-config", "--config", missing.toString(), "--stage", "ingest")).isEqualTo(CheckConfigCommand.INVALID);
        assertThat(err.toString()).contains("firebreak.ingest.pg.password refers to a secret that could not be read");
    }
}
