package dev.firebreak.ingest.classify;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlTextTest {

    @Test
    void semicolonsInStringsCommentsAndDollarBodiesDoNotSplit() {
        String sql = "INSERT INTO t VALUES ('a;b', E'c\\';d'); -- x; y\n"
                + "CREATE FUNCTION f() RETURNS void AS $fn$ BEGIN DELETE FROM t; END $fn$ LANGUAGE plpgsql;"
                + "/* ; */ SELECT \"weird;name\" FROM t;;";
        assertThat(SqlText.split(sql)).containsExactly(
                "INSERT INTO t VALUES ('a;b', E'c\\';d')",
                "-- x; y\nCREATE FUNCTION f() RETURNS void AS $fn$ BEGIN DELETE FROM t; END $fn$ LANGUAGE plpgsql",
                "/* ; */ SELECT \"weird;name\" FROM t");
    }

    @Test
    void commentOnlyPiecesAndPsqlMetaCommandsAreSeparated() {
        assertThat(SqlText.split("-- just a note\n;\n\\timing on\nSELECT 1")).containsExactly("\\timing on", "SELECT 1");
    }

    @Test
    void keywordsDropCommentsAndLiteralsButKeepDollarBodies() {
        assertThat(SqlText.keywords("/* DROP */ INSERT INTO t VALUES ('DROP TABLE x') -- DROP"))
                .isEqualTo("INSERT INTO t VALUES ('')");
        assertThat(SqlText.keywords("DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$"))
                .isEqualTo("DO BEGIN EXECUTE 'DROP TABLE x'; END");
        assertThat(SqlText.keywords("SELECT $1, a$b FROM t")).isEqualTo("SELECT $1, a$b FROM t");
    }
}
