package dev.firebreak.ingest.classify;

import dev.firebreak.ingest.classify.ShellScript.Command;
import java.util.ArrayList;
import java.util.List;

/**
 * A POSIX-shell tokenizer good enough to classify what agents run: quotes, backslash escapes and
 * line continuations, {@code $'...'}, the separators {@code && || ; | & ( )} and newlines,
 * redirections (dropped, including {@code 2>&1}), here-documents and here-strings (kept as the
 * command's stdin, because {@code psql <<SQL ... SQL} is how agents run multi-line SQL), comments,
 * and command substitution (kept for separate classification). It never fails: unbalanced quotes
 * run to the end of the input.
 */
final class ShellTokenizer {

    private final String s;
    private int pos;
    private final List<Builder> builders = new ArrayList<>();
    private final List<String> substitutions = new ArrayList<>();
    private final List<HereDoc> pendingHereDocs = new ArrayList<>();
    private Builder current = new Builder(false);

    private ShellTokenizer(String s) {
        this.s = s;
    }

    static ShellScript parse(String commandLine) {
        ShellTokenizer t = new ShellTokenizer(commandLine == null ? "" : commandLine);
        t.run();
        List<Command> commands = t.builders.stream().map(Builder::build).toList();
        return new ShellScript(commands, List.copyOf(t.substitutions));
    }

    private void run() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '\n') {
                pos++;
                endCommand(false);
                readHereDocs();
            } else if (c == '#') {
                skipComment();
            } else if (c == '<' || c == '>' || (c == '&' && peek(1) == '>')) {
                redirection();
            } else if (";&|()".indexOf(c) >= 0) {
                operator(c);
            } else {
                word();
            }
        }
        endCommand(false);
    }

    private void word() {
        String w = readWord();
        if (w == null) {
            return;
        }
        boolean fdPrefix = !w.isEmpty() && w.chars().allMatch(Character::isDigit)
                && pos < s.length() && (s.charAt(pos) == '<' || s.charAt(pos) == '>');
        if (!fdPrefix) { // the 2 of 2>file is part of the redirection
            current.words.add(w);
        }
    }

    private void operator(char c) {
        char next = peek(1);
        if (c == '|' && next != '|') {
            pos += next == '&' ? 2 : 1;
            endCommand(true);
            return;
        }
        pos += (c == next && c != '(' && c != ')') ? 2 : 1;
        endCommand(false);
    }

    private void redirection() {
        String op = readRedirectOperator();
        while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
            pos++;
        }
        String target = readWord();
        if (target == null) {
            return;
        }
        if (op.equals("<<") || op.equals("<<-")) {
            pendingHereDocs.add(new HereDoc(current, target, op.equals("<<-")));
        } else if (op.equals("<<<")) {
            current.appendStdin(target + "\n");
        }
    }

    private String readRedirectOperator() {
        for (String op : new String[] {"<<<", "<<-", "&>>", "<<", "<>", "<&", ">>", ">&", ">|", "&>", "<", ">"}) {
            if (s.startsWith(op, pos)) {
                pos += op.length();
                return op;
            }
        }
        pos++;
        return "";
    }

    /** Reads one word; null when there was nothing to read (an escaped newline, say). */
    private String readWord() {
        StringBuilder w = new StringBuilder();
        boolean any = false;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (" \t\r\n;&|()<>".indexOf(c) >= 0) {
                break;
            }
            if (c == '\\' && peek(1) == '\n') { // line continuation: not part of any word
                pos += 2;
                continue;
            }
            any = true;
            switch (c) {
                case '\\' -> backslash(w);
                case '\'' -> w.append(untilQuote('\''));
                case '"' -> doubleQuoted(w);
                case '`' -> w.append('`').append(substitution(backtick())).append('`');
                case '$' -> dollar(w);
                default -> {
                    w.append(c);
                    pos++;
                }
            }
        }
        return any ? w.toString() : null;
    }

    private void backslash(StringBuilder w) {
        char next = peek(1);
        if (next != '\0') {
            w.append(next);
        }
        pos += 2;
    }

    private String untilQuote(char quote) {
        int end = s.indexOf(quote, pos + 1);
        String body = s.substring(pos + 1, end < 0 ? s.length() : end);
        pos = end < 0 ? s.length() : end + 1;
        return body;
    }

    private void doubleQuoted(StringBuilder w) {
        pos++;
        while (pos < s.length() && s.charAt(pos) != '"') {
            char c = s.charAt(pos);
            if (c == '\\' && "\"\\$`\n".indexOf(peek(1)) >= 0) {
                if (peek(1) != '\n') {
                    w.append(peek(1));
                }
                pos += 2;
            } else if (c == '$' && peek(1) == '(') {
                pos++;
                w.append("$(").append(substitution(balancedParens())).append(')');
            } else if (c == '`') {
                w.append('`').append(substitution(backtick())).append('`');
            } else {
                w.append(c);
                pos++;
            }
        }
        pos++;
    }

    private void dollar(StringBuilder w) {
        char next = peek(1);
        if (next == '(') {
            pos++;
            w.append("$(").append(substitution(balancedParens())).append(')');
        } else if (next == '\'') {
            pos++;
            w.append(ansiC(untilAnsiQuote()));
        } else {
            w.append('$');
            pos++;
        }
    }

    /** At "(": returns what is inside the matching ")", skipping quoted parentheses. */
    private String balancedParens() {
        int depth = 0;
        int start = pos + 1;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == '\'' || c == '"') {
                int end = s.indexOf(c, pos + 1);
                pos = end < 0 ? s.length() : end + 1;
                continue;
            }
            if (c == '\\') {
                pos += 2;
                continue;
            }
            if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                pos++;
                return s.substring(start, pos - 1);
            }
            pos++;
        }
        return s.substring(Math.min(start, s.length()));
    }

    private String backtick() {
        int end = s.indexOf('`', pos + 1);
        String body = s.substring(pos + 1, end < 0 ? s.length() : end);
        pos = end < 0 ? s.length() : end + 1;
        return body;
    }

    private String untilAnsiQuote() {
        int i = pos + 1;
        while (i < s.length() && s.charAt(i) != '\'') {
            i += s.charAt(i) == '\\' ? 2 : 1;
        }
        String body = s.substring(pos + 1, Math.min(i, s.length()));
        pos = Math.min(i + 1, s.length());
        return body;
    }

    private static String ansiC(String body) {
        return body.replace("\\n", "\n").replace("\\t", "\t").replace("\\'", "'")
                .replace("\\\"", "\"").replace("\\\\", "\\");
    }

    private String substitution(String script) {
        substitutions.add(script);
        return script;
    }

    private void skipComment() {
        int nl = s.indexOf('\n', pos);
        pos = nl < 0 ? s.length() : nl;
    }

    private void readHereDocs() {
        for (HereDoc doc : pendingHereDocs) {
            StringBuilder body = new StringBuilder();
            while (pos < s.length()) {
                int nl = s.indexOf('\n', pos);
                String line = s.substring(pos, nl < 0 ? s.length() : nl);
                pos = nl < 0 ? s.length() : nl + 1;
                String candidate = doc.stripTabs() ? line.replaceFirst("^\t+", "") : line;
                if (candidate.strip().equals(doc.delimiter())) {
                    break;
                }
                body.append(line).append('\n');
            }
            doc.target().appendStdin(body.toString());
        }
        pendingHereDocs.clear();
    }

    /** Ends the current command; its here-document body, if any, is filled in when its line ends. */
    private void endCommand(boolean pipeToNext) {
        if (!current.words.isEmpty() || current.stdin != null
                || pendingHereDocs.stream().anyMatch(d -> d.target() == current)) {
            builders.add(current);
        }
        current = new Builder(pipeToNext);
    }

    private char peek(int ahead) {
        int i = pos + ahead;
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private record HereDoc(Builder target, String delimiter, boolean stripTabs) {
    }

    /** A simple command being collected. */
    private static final class Builder {
        final List<String> words = new ArrayList<>();
        final boolean pipedIn;
        StringBuilder stdin;

        Builder(boolean pipedIn) {
            this.pipedIn = pipedIn;
        }

        void appendStdin(String text) {
            if (stdin == null) {
                stdin = new StringBuilder();
            }
            stdin.append(text);
        }

        Command build() {
            return new Command(List.copyOf(words), stdin == null ? null : stdin.toString(), pipedIn);
        }
    }
}
