package dev.firebreak.ingest.pglog;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a logged statement string into its commands at semicolons outside quotes, dollar quotes
 * and comments: enough to find each command's leading keywords, not a parser.
 */
final class SqlSplitter {
    private SqlSplitter() {
    }

    static List<String> split(String sql) {
        List<String> commands = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            int skip = skipQuoted(sql, i);
            if (skip > i) {
                current.append(sql, i, skip);
                i = skip;
            } else if (c == ';') {
                add(commands, current);
                current.setLength(0);
                i++;
            } else {
                current.append(c);
                i++;
            }
        }
        add(commands, current);
        return commands;
    }

    /** The index after a quoted part or comment starting at {@code i}, or {@code i} if none starts there. */
    private static int skipQuoted(String sql, int i) {
        char c = sql.charAt(i);
        if (c == '\'' || c == '"') {
            int end = sql.indexOf(c, i + 1);
            return end < 0 ? sql.length() : end + 1;
        }
        if (sql.startsWith("--", i)) {
            int end = sql.indexOf('\n', i);
            return end < 0 ? sql.length() : end + 1;
        }
        if (sql.startsWith("/*", i)) {
            int end = sql.indexOf("*/", i + 2);
            return end < 0 ? sql.length() : end + 2;
        }
        if (c == '$') {
            int tagEnd = sql.indexOf('$', i + 1);
            if (tagEnd > i && sql.substring(i + 1, tagEnd).matches("[A-Za-z_0-9]*")) {
                String tag = sql.substring(i, tagEnd + 1);
                int end = sql.indexOf(tag, tagEnd + 1);
                return end < 0 ? sql.length() : end + tag.length();
            }
        }
        return i;
    }

    private static void add(List<String> commands, StringBuilder current) {
        String command = current.toString().strip();
        if (!command.isEmpty()) {
            commands.add(command);
        }
    }
}
