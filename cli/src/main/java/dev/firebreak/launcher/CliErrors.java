package dev.firebreak.launcher;

import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * How the CLI ends on a mistake: one line on stderr naming what is wrong, an exit code a script can
 * test, and no stack trace. A bad option or argument exits {@value #USAGE} (picocli's usage code),
 * with a pointer to {@code --help}; a configuration mistake (a missing or unreadable file, a bad or
 * unknown key, a value out of range: every {@link IllegalArgumentException} the config records
 * throw at start-up) exits {@value #CONFIG}. Anything else is a fault, not a mistake: exit
 * {@value #FAILURE}, with its stack trace, because that is what a bug report needs.
 */
public final class CliErrors {
    /** Exit code of an unexpected failure. */
    public static final int FAILURE = 1;
    /** Exit code of a bad option, argument or subcommand. */
    public static final int USAGE = 2;
    /** Exit code of a bad configuration: file missing or unreadable, key unknown, value not allowed. */
    public static final int CONFIG = 3;

    private CliErrors() {
    }

    /** Installs both handlers on {@code cli} (and, through picocli, on its subcommands). */
    public static CommandLine install(CommandLine cli) {
        return cli.setParameterExceptionHandler(new Parameters()).setExecutionExceptionHandler(new Execution());
    }

    /** Bad option or argument: picocli's message and where to look. */
    static final class Parameters implements IParameterExceptionHandler {
        @Override
        public int handleParseException(ParameterException e, String[] args) {
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println(name(cmd) + ": " + e.getMessage());
            err.println("Try '" + name(cmd) + " --help' for the options.");
            err.flush();
            return USAGE;
        }
    }

    /** A failure while a command runs: one line for configuration mistakes, a stack trace for faults. */
    static final class Execution implements IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
            PrintWriter err = cmd.getErr();
            String mistake = configMistake(e);
            if (mistake != null) {
                err.println(name(cmd) + ": " + mistake);
                err.flush();
                return CONFIG;
            }
            err.println(name(cmd) + " failed: " + e);
            e.printStackTrace(err);
            err.flush();
            return FAILURE;
        }
    }

    /** The one-line explanation when {@code e} is a configuration mistake; null for a fault. */
    static String configMistake(Throwable e) {
        Throwable t = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        if (t instanceof NoSuchFileException missing) {
            return "file not found: " + missing.getFile();
        }
        if (t instanceof AccessDeniedException denied) {
            return "file not readable (permission denied): " + denied.getFile();
        }
        if (t instanceof FileNotFoundException) {
            return "file not found: " + t.getMessage();
        }
        if (t instanceof IllegalArgumentException || t instanceof ConfigException) {
            return t.getMessage();
        }
        return null;
    }

    private static String name(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName();
    }
}
