package dev.firebreak.ingest.pglog;

import dev.firebreak.ingest.sql.SqlLexer;
import dev.firebreak.ingest.sql.SqlLexer.Kind;
import dev.firebreak.ingest.sql.SqlLexer.Token;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits SQL text into its commands at semicolons outside literals, comments and parentheses
 * ({@code CREATE RULE ... DO (a; b)} is one command): enough to read each command's leading
 * keywords, not a parser.
 */
final class SqlSplitter {
    private SqlSplitter() {
    }

    static List<List<Token>> split(String sql, boolean backslashEscapes) {
        return split(SqlLexer.tokens(sql, backslashEscapes));
    }

    static List<List<Token>> split(List<Token> tokens) {
        List<List<Token>> commands = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < tokens.size(); i++) {
            Kind kind = tokens.get(i).kind();
            if (kind == Kind.OPEN_PAREN) {
                depth++;
            } else if (kind == Kind.CLOSE_PAREN) {
                depth = Math.max(0, depth - 1);
            } else if (kind == Kind.SEMICOLON && depth == 0) {
                add(commands, tokens.subList(start, i));
                start = i + 1;
            }
        }
        add(commands, tokens.subList(start, tokens.size()));
        return commands;
    }

    private static void add(List<List<Token>> commands, List<Token> command) {
        if (!command.isEmpty()) {
            commands.add(command);
        }
    }
}
