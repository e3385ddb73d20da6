package dev.firebreak.ingest.classify;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The facts about one simple command that shell rules match on, computed once per command.
 *
 * @param program  lower-case basename of the program
 * @param args     arguments after the program
 * @param words    positional arguments (not starting with "-")
 * @param flags    options as rules see them: -rf gives -rf, -r and -f; --opt=value gives --opt
 * @param stdin    text fed to the command (here-document, here-string, piped echo), or null
 */
record ShellFacts(String program, List<String> args, List<String> words, Set<String> flags, String stdin) {

    static ShellFacts of(List<String> argv, String stdin) {
        List<String> args = List.copyOf(argv.subList(1, argv.size()));
        List<String> words = new ArrayList<>();
        Set<String> flags = new LinkedHashSet<>();
        boolean optionsEnded = false;
        for (String a : args) {
            if (optionsEnded || !a.startsWith("-") || a.equals("-")) {
                words.add(a);
            } else if (a.equals("--")) {
                optionsEnded = true;
            } else {
                addFlag(flags, a);
            }
        }
        return new ShellFacts(ShellSyntax.programName(argv.get(0)), args, List.copyOf(words), Set.copyOf(flags), stdin);
    }

    private static void addFlag(Set<String> flags, String a) {
        if (a.startsWith("--")) {
            int eq = a.indexOf('=');
            flags.add(eq < 0 ? a : a.substring(0, eq));
            return;
        }
        flags.add(a);
        if (a.matches("-[A-Za-z]{2,}")) { // a cluster of short options
            for (char c : a.substring(1).toCharArray()) {
                flags.add("-" + c);
            }
        }
    }

    String argsText() {
        return String.join(" ", args);
    }

    String wordsText() {
        return String.join(" ", words);
    }

    /** Values of an option: "-c X", "--command X", "--command=X" and "-cX" (for short options). */
    List<String> optionValues(String option) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals(option) && i + 1 < args.size()) {
                values.add(args.get(++i));
            } else if (option.startsWith("--") && a.startsWith(option + "=")) {
                values.add(a.substring(option.length() + 1));
            } else if (option.length() == 2 && a.startsWith(option) && a.length() > 2 && !a.startsWith("--")) {
                values.add(a.substring(2));
            }
        }
        return values;
    }
}
