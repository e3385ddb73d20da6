package dev.firebreak.ingest.redact;

import static dev.firebreak.ingest.redact.SecretRedactor.REDACTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SecretRedactorTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "CREATE ROLE eve LOGIN PASSWORD 'hunter2'|CREATE ROLE eve LOGIN PASSWORD '<redacted>'",
            "ALTER ROLE eve WITH ENCRYPTED PASSWORD 'SCRAM-SHA-256$4096:abc' VALID UNTIL '2030-01-01'|ALTER ROLE eve WITH ENCRYPTED PASSWORD '<redacted>' VALID UNTIL '2030-01-01'",
            "alter user eve password 'it''s' login|alter user eve password '<redacted>' login",
            "ALTER ROLE eve PASSWORD E'a\\'b\\\\' LOGIN|ALTER ROLE eve PASSWORD '<redacted>' LOGIN",
            "ALTER ROLE eve PASSWORD e'x''y' LOGIN|ALTER ROLE eve PASSWORD '<redacted>' LOGIN",
            "ALTER ROLE eve PASSWORD $$a'b$$ LOGIN|ALTER ROLE eve PASSWORD '<redacted>' LOGIN",
            "ALTER ROLE eve PASSWORD $pw$ $$ ' $pw$ LOGIN|ALTER ROLE eve PASSWORD '<redacted>' LOGIN",
            "ALTER ROLE eve PASSWORD U&'d\\0061t' LOGIN|ALTER ROLE eve PASSWORD '<redacted>' LOGIN",
            "ALTER ROLE eve PASSWORD /* why */ 'x' LOGIN|ALTER ROLE eve PASSWORD /* why */ '<redacted>' LOGIN",
            "ALTER ROLE eve PASSWORD NULL|ALTER ROLE eve PASSWORD NULL",
            "CREATE USER MAPPING FOR eve SERVER s OPTIONS (user 'eve', password 'p')|CREATE USER MAPPING FOR eve SERVER s OPTIONS (user 'eve', password '<redacted>')",
            "ALTER USER MAPPING FOR eve SERVER s OPTIONS (SET password 'p', ADD sslpassword 'q')|ALTER USER MAPPING FOR eve SERVER s OPTIONS (SET password '<redacted>', ADD sslpassword '<redacted>')",
            "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'h', \"password\" 'p')|CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'h', \"password\" '<redacted>')",
            "CREATE SUBSCRIPTION s CONNECTION 'host=h password=p' PUBLICATION p|CREATE SUBSCRIPTION s CONNECTION '<redacted>' PUBLICATION p",
            "CREATE SUBSCRIPTION s CONNECTION 'host=h' PUBLICATION p|CREATE SUBSCRIPTION s CONNECTION 'host=h' PUBLICATION p",
            "SELECT 'password' AS label, 'x'|SELECT 'password' AS label, 'x'",
            "ALTER ROLE eve PASSWORD 'trunc|ALTER ROLE eve PASSWORD '<redacted>'"})
    void secretLiteralsAreReplacedAndTheRestIsKept(String sql, String expected) {
        assertThat(SecretRedactor.redact(sql)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "SELECT 1",
            "COMMENT ON ROLE eve IS 'no password here'",
            "SELECT 'PASSWORD' || password FROM t",
            ""})
    void textWithoutASecretLiteralIsReturnedAsIs(String sql) {
        assertThat(SecretRedactor.redact(sql)).isEqualTo(sql);
    }

    @Test
    void nullStaysNull() {
        assertThat(SecretRedactor.redact(null)).isNull();
    }

    @Test
    void aBackslashBeforeTheClosingQuoteCoversBothReadingsOfTheLiteral() {
        // with standard_conforming_strings = off the password is a\'b; with it on, the literal ends after the backslash
        String redacted = SecretRedactor.redact("ALTER ROLE eve PASSWORD 'a\\'b' LOGIN");
        assertThat(redacted).isEqualTo("ALTER ROLE eve PASSWORD '<redacted>' LOGIN").doesNotContain("b'");
    }

    /** Random secrets in every literal form, in every place a secret goes: never leaked, the rest kept. */
    @Test
    void noGeneratedSecretSurvives() {
        Random random = new Random(20261206);
        List<String> templates = List.of(
                "CREATE ROLE \"r\"\"x\" LOGIN ENCRYPTED PASSWORD %s VALID UNTIL 'infinity'; SELECT 'keep'",
                "ALTER USER MAPPING FOR eve SERVER s OPTIONS (SET user 'u', SET password %s)",
                "CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (dbname 'd', password %s) -- note\n;DROP ROLE x",
                "alter role eve password/* c */%s");
        List<Function<String, String>> forms = List.of(
                SecretRedactorTest::standard, SecretRedactorTest::escaped, SecretRedactorTest::dollar);
        for (int n = 0; n < 3000; n++) {
            String secret = "S3CR3T" + randomText(random);
            String template = templates.get(random.nextInt(templates.size()));
            String literal = forms.get(random.nextInt(forms.size())).apply(secret);
            String redacted = SecretRedactor.redact(template.formatted(literal));
            assertThat(redacted).as("secret %s as %s", secret, literal).doesNotContain("S3CR3T");
            if (!literal.startsWith("'") || !literal.contains("\\")) {
                assertThat(redacted).as("literal %s", literal).isEqualTo(template.formatted(REDACTED));
            }
        }
    }

    private static String randomText(Random random) {
        String alphabet = "ab'\\$\"*/-;\n xyz_Q";
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(12); i > 0; i--) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
    }

    private static String standard(String secret) {
        return "'" + secret.replace("'", "''") + "'";
    }

    private static String escaped(String secret) {
        return "E'" + secret.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static String dollar(String secret) {
        String tag = "$t$";
        while (secret.contains(tag)) {
            tag = "$" + tag.substring(1, tag.length() - 1) + "t$";
        }
        return tag + secret + tag;
    }
}
