package dev.firebreak.launcher.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.launcher.CliErrors;
import dev.firebreak.launcher.FirebreakCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The operator commands refuse a settings file with an unknown key before they reach Kafka, naming the
 * key and the nearest known one ({@code approve}, {@code reject}: {@code firebreak.operator.*};
 * {@code revoke}, {@code reinstate}: the kill switch's file).
 */
class OperatorSettingsCheckTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = CliErrors.install(new CommandLine(new FirebreakCli()));
        cli.setOut(new PrintWriter(new StringWriter(), true)).setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void approveRefusesAMisspelledKey(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("operator.properties"),
                "firebreak.operator.bootstrap.server=localhost:1\nfirebreak.operator.schema.registry.url=mem://op\n");

        int code = run("approve", "d-0000", "--operator", "alice", "--reason", "test", "--config", config.toString());

        assertThat(code).isEqualTo(CliErrors.CONFIG);
        assertThat(err.toString()).contains("unknown setting firebreak.operator.bootstrap.server")
                .contains("did you mean firebreak.operator.bootstrap.servers?").hasLineCount(1);
    }

    @Test
    void approveStillNamesAMissingKey() {
        int code = run("reject", "d-0000", "--operator", "alice", "--reason", "test",
                "--set", "firebreak.operator.schema.registry.url=mem://op");

        assertThat(code).isEqualTo(CliErrors.CONFIG);
        assertThat(err.toString()).contains("missing firebreak.operator.bootstrap.servers (in --config or --set)");
    }

    @Test
    void reinstateRefusesAKeyNoStageDefines(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("killswitch.properties"), String.join("\n",
                "firebreak.killswitch.pg.cluster=main",
                "firebreak.killswitch.pg.url=jdbc:postgresql://localhost:1/app",
                "firebreak.killswitch.pg.user=firebreak",
                "firebreak.killswitch.bootstrap.servers=localhost:1",
                "firebreak.killswitch.schema.registry.url=mem://op",
                "firebreak.killswich.dry.run=true", ""));

        int code = run("reinstate", "--config", config.toString(), "--principal", "pg:main/x", "--operator", "me",
                "--reason", "test");

        assertThat(code).isEqualTo(CliErrors.CONFIG);
        assertThat(err.toString()).contains("unknown setting firebreak.killswich.dry.run")
                .contains("did you mean firebreak.killswitch.dry.run?").hasLineCount(1);
    }
}
