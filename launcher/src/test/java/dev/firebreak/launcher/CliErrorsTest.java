package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** User mistakes end in one line on stderr and an exit code, never a stack trace. */
class CliErrorsTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = CliErrors.install(new CommandLine(new FirebreakCli()));
        cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void aMissingConfigFileIsOneLineAndExitCodeConfig() {
        int code = run("reinstate", "--config", "/nonexistent/killswitch.properties", "--principal", "pg:main/x",
                "--operator", "me", "--reason", "test");

        assertThat(code).isEqualTo(CliErrors.CONFIG);
        assertThat(err.toString()).isEqualTo("firebreak reinstate: file not found: /nonexistent/killswitch.properties"
                + System.lineSeparator());
    }

    @Test
    void aBadKeyNamesTheKeyWithoutAStackTrace(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("ks.properties"), "firebreak.killswitch.pg.clustr=main\n");

        int code = run("reinstate", "--config", config.toString(), "--principal", "pg:main/x", "--operator", "me",
                "--reason", "test");

        assertThat(code).isEqualTo(CliErrors.CONFIG);
        assertThat(err.toString()).startsWith("firebreak reinstate: invalid kill switch configuration: unknown key(s)"
                + " [firebreak.killswitch.pg.clustr]").doesNotContain("\tat ").hasLineCount(1);
    }

    @Test
    void aBadRegistrySettingNamesItsKey(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("ks.properties"), "firebreak.schema.registry.compatibility=LOOSE\n");

        int code = run("reinstate", "--config", config.toString(), "--principal", "pg:main/x", "--operator", "me",
                "--reason", "test");

        assertThat(code).isEqualTo(CliErrors.CONFIG);
        assertThat(err.toString()).contains("firebreak.schema.registry.compatibility must be one of").hasLineCount(1);
    }

    @Test
    void badOptionsAndArgumentsExitWithTheUsageCodeAndAPointerToHelp() {
        assertThat(run("reinstate", "--config", "c", "--principal", "p", "--operator", "o", "--reason", "r", "--bogus"))
                .isEqualTo(CliErrors.USAGE);
        assertThat(err.toString()).startsWith("firebreak reinstate: Unknown option: '--bogus'")
                .contains("Try 'firebreak reinstate --help'").doesNotContain("\tat ");

        err.getBuffer().setLength(0);
        assertThat(run("reinstate", "--principal", "p")).isEqualTo(CliErrors.USAGE);
        assertThat(err.toString()).startsWith("firebreak reinstate: Missing required options: '--config=<config>'");

        err.getBuffer().setLength(0);
        assertThat(run("service", "nosuchstage", "--config", "x")).isEqualTo(CliErrors.USAGE);
        assertThat(err.toString()).contains("Invalid value for positional parameter").contains("nosuchstage");

        err.getBuffer().setLength(0);
        assertThat(run("topics")).isEqualTo(CliErrors.USAGE);
        assertThat(err.toString()).startsWith("firebreak topics: missing subcommand: create");

        err.getBuffer().setLength(0);
        assertThat(run("nosuchcommand")).isEqualTo(CliErrors.USAGE);
        assertThat(err.toString()).contains("Unmatched argument").doesNotContain("\tat ");
    }

    @Test
    void aMissingCommandConfigIsAConfigMistakeBeforeAnyConnection() {
        assertThat(run("topics", "create", "--bootstrap-server", "127.0.0.1:1", "--command-config", "/nonexistent/admin.properties"))
                .isEqualTo(CliErrors.CONFIG);
        assertThat(err.toString()).isEqualTo("firebreak topics create: file not found: /nonexistent/admin.properties"
                + System.lineSeparator());
    }

    @Test
    void aFaultIsNotPassedOffAsAMistake() {
        assertThat(CliErrors.configMistake(new IllegalStateException("bug"))).isNull();
        assertThat(CliErrors.configMistake(new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("/f"))))
                .isEqualTo("file not found: /f");
    }
}
