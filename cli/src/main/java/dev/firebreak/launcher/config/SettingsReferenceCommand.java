package dev.firebreak.launcher.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code firebreak settings-reference [--output F]}: writes the settings reference, generated from the definitions. */
@Command(name = "settings-reference", mixinStandardHelpOptions = true,
        description = "Print (or write) the reference of every setting, generated from the stages' definitions.")
public final class SettingsReferenceCommand implements Callable<Integer> {
    @Option(names = "--output", paramLabel = "FILE", description = "Write to this file instead of standard output.")
    Path output;

    @Override
    public Integer call() throws Exception {
        String text = SettingsReference.generate();
        if (output == null) {
            System.out.print(text);
        } else {
            Files.writeString(output, text, StandardCharsets.UTF_8);
        }
        return 0;
    }
}
