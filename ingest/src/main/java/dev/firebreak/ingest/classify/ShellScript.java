package dev.firebreak.ingest.classify;

import java.util.List;

/**
 * A command line taken apart: its simple commands in order and the scripts nested in it through
 * command substitution ({@code $(...)}, backticks), which run too and are classified separately.
 *
 * @param commands      simple commands in order
 * @param substitutions the text inside each {@code $(...)} or backtick pair
 */
record ShellScript(List<Command> commands, List<String> substitutions) {

    /**
     * One simple command.
     *
     * @param words   its words with quotes and escapes resolved, redirections removed
     * @param stdin   text fed to it by a here-document or here-string, or null
     * @param pipedIn whether it reads the output of the previous command through a pipe
     */
    record Command(List<String> words, String stdin, boolean pipedIn) {
    }
}
