package dev.firebreak.ingest.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.ingest.sql.SqlLexer.Kind;
import dev.firebreak.ingest.sql.SqlLexer.Token;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlLexerTest {

    private static List<Kind> kinds(String sql) {
        return SqlLexer.tokens(sql).stream().map(Token::kind).toList();
    }

    @Test
    void literalsIdentifiersAndCommentsAreSingleTokensOrNone() {
        assertThat(kinds("SELECT 'a''b', E'c\\'d', U&'e', $x$ f $x$, \"g\"\"h\" /* i /* j */ k */ -- l\n;"))
                .containsExactly(Kind.WORD, Kind.STRING, Kind.COMMA, Kind.STRING, Kind.COMMA, Kind.STRING, Kind.COMMA,
                        Kind.DOLLAR_STRING, Kind.COMMA, Kind.QUOTED_IDENTIFIER, Kind.SEMICOLON);
    }

    @Test
    void valuesResolveQuotingAndEscapes() {
        List<Token> t = SqlLexer.tokens("'a''b' E'c\\'d\\n' $x$ $$e $x$ \"G\"\"h\" Word");
        assertThat(t).extracting(Token::value).startsWith("a'b", "c'd\n", " $$e ");
        assertThat(t.get(3).name()).isEqualTo("G\"h");
        assertThat(t.get(4).name()).isEqualTo("word");
    }

    @Test
    void dollarSignsThatOpenNoLiteral() {
        assertThat(kinds("$1 a$b$ $")).containsExactly(Kind.PARAMETER, Kind.WORD, Kind.OTHER);
        assertThat(SqlLexer.tokens("a$b$ c").get(0).text()).isEqualTo("a$b$");
    }

    @Test
    void unterminatedInputEndsTheToken() {
        assertThat(SqlLexer.tokens("PASSWORD 'abc").get(1).end()).isEqualTo(13);
        assertThat(SqlLexer.tokens("x $q$ abc").get(1).value()).isEqualTo(" abc");
        assertThat(kinds("x /* never closed")).containsExactly(Kind.WORD);
    }

    @Test
    void backslashReadingOfAPlainLiteralMayEndLater() {
        String sql = "'a\\' b'";
        assertThat(SqlLexer.stringEnd(sql, 0, false)).isEqualTo(4);
        assertThat(SqlLexer.stringEnd(sql, 0, true)).isEqualTo(sql.length());
    }
}
