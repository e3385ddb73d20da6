package dev.firebreak.launcher.topics;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code firebreak topics ...}: the pipeline's Kafka topics. */
@Command(name = "topics", mixinStandardHelpOptions = true, subcommands = TopicsCreateCommand.class,
        description = "Manage the pipeline's Kafka topics.")
public final class TopicsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create");
    }
}
