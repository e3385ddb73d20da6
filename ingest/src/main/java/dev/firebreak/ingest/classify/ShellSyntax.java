package dev.firebreak.ingest.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code shell:} section of the rules file: how to see through programs that run other
 * programs, which shells take a {@code -c} script, and which programs make HTTP calls.
 *
 * @param wrappers    programs peeled off before rules are tried (sudo, env, ssh, docker exec...)
 * @param subshells   shells whose {@code -c} argument is classified as a script
 * @param httpClients program name to command-line syntax (curl, wget, httpie)
 */
record ShellSyntax(List<Wrapper> wrappers, Set<String> subshells, Map<String, String> httpClients) {

    /** The wrapped program (or script) inside a wrapper invocation. */
    record Unwrapped(List<String> argv, String script) {
    }

    /**
     * One wrapper entry.
     *
     * @param commands         program names
     * @param subcommand       positional words that must follow (exec for docker exec), may be empty
     * @param optionsWithValue options that consume the next argument
     * @param skipPositional   positional arguments to skip (a container, a host)
     * @param until            skip up to and including this argument, or null
     * @param script           the rest is a shell script (ssh, eval) rather than an argv
     */
    record Wrapper(Set<String> commands, List<String> subcommand, Set<String> optionsWithValue,
                   int skipPositional, String until, boolean script) {

        /** What this wrapper runs, or null when {@code argv} is not an invocation of it. */
        Unwrapped unwrap(List<String> argv) {
            if (argv.isEmpty() || !commands.contains(ShellSyntax.programName(argv.get(0)))) {
                return null;
            }
            int i = 1;
            for (String expected : subcommand) {
                i = skipOptions(argv, i);
                if (i >= argv.size() || !argv.get(i).equals(expected)) {
                    return null;
                }
                i++;
            }
            i = until != null ? argv.indexOf(until) + 1 : skipPositionals(argv, skipOptions(argv, i));
            if (i <= 0 || i >= argv.size()) {
                return null;
            }
            List<String> rest = argv.subList(i, argv.size());
            return script ? new Unwrapped(List.of(), String.join(" ", rest)) : new Unwrapped(List.copyOf(rest), null);
        }

        /** Skips options, their values and (for env) NAME=value assignments; stops after "--". */
        private int skipOptions(List<String> argv, int from) {
            int i = from;
            while (i < argv.size()) {
                String a = argv.get(i);
                if (a.equals("--")) {
                    return i + 1;
                }
                if (a.startsWith("-") && a.length() > 1) {
                    i += optionsWithValue.contains(a) ? 2 : 1;
                } else if (ShellSyntax.isAssignment(a)) {
                    i++;
                } else {
                    return i;
                }
            }
            return i;
        }

        private int skipPositionals(List<String> argv, int from) {
            int i = from;
            for (int skipped = 0; skipped < skipPositional && i < argv.size(); skipped++) {
                i = skipOptions(argv, i + 1);
            }
            return i;
        }
    }

    /** The first wrapper that applies to {@code argv}, unwrapped, or null. */
    Unwrapped unwrap(List<String> argv) {
        for (Wrapper w : wrappers) {
            Unwrapped u = w.unwrap(argv);
            if (u != null) {
                return u;
            }
        }
        return null;
    }

    /** The script of {@code bash -c 'script'} (also -lc, -ec...), or null. */
    String subshellScript(List<String> argv) {
        if (argv.isEmpty() || !subshells.contains(programName(argv.get(0)))) {
            return null;
        }
        boolean sawC = false;
        for (String a : argv.subList(1, argv.size())) {
            if (a.matches("-[a-zA-Z]*c[a-zA-Z]*")) {
                sawC = true;
            } else if (sawC && !a.startsWith("-")) {
                return a;
            }
        }
        return null;
    }

    /** The HTTP client syntax of this program (curl, wget, httpie), or null. */
    String httpClient(List<String> argv) {
        return argv.isEmpty() ? null : httpClients.get(programName(argv.get(0)));
    }

    /** Drops leading NAME=value assignments and shell keywords (if, then, do, !, {) from a command. */
    static List<String> stripPrefixes(List<String> words) {
        int i = 0;
        while (i < words.size() && (isAssignment(words.get(i)) || KEYWORDS.contains(words.get(i)))) {
            i++;
        }
        List<String> out = new ArrayList<>(words.subList(i, words.size()));
        if (!out.isEmpty() && out.get(out.size() - 1).equals("}")) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    private static final Set<String> KEYWORDS = Set.of("if", "then", "else", "elif", "fi", "do", "done",
            "while", "until", "!", "{", "}", "esac");

    static boolean isAssignment(String word) {
        return word.matches("[A-Za-z_][A-Za-z0-9_]*=.*");
    }

    /** Lower-case basename: /usr/bin/rm and RM both read as rm. */
    static String programName(String word) {
        String base = word.substring(word.lastIndexOf('/') + 1);
        return base.toLowerCase(Locale.ROOT);
    }
}
