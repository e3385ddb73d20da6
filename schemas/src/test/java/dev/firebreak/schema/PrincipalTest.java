package dev.firebreak.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PrincipalTest {

    @Test
    void postgresRoleIsEverythingAfterTheFirstSlash() {
        Principal p = Principal.parse("pg:prod/evil\"; DROP ROLE postgres; --");
        assertThat(p.namespace()).isEqualTo("pg");
        assertThat(p.scope()).isEqualTo("prod");
        assertThat(p.name()).isEqualTo("evil\"; DROP ROLE postgres; --");

        assertThat(Principal.parse("pg:prod/etl/nightly job").name()).isEqualTo("etl/nightly job");
        assertThat(Principal.parse("pg:prod//leading").name()).isEqualTo("/leading");
        assertThat(Principal.parse("pg:eu:west/a;b").scope()).isEqualTo("eu:west");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pg:prod/evil\"; DROP ROLE postgres; --", "pg:c/a/b/c", "token:github/ghp_1/2",
            "agent:claude/run 7", "agent:x", "pg:c/ spaces \"quoted\" "})
    void textFormRoundTrips(String text) {
        assertThat(Principal.parse(text).toString()).isEqualTo(text);
        assertThat(Principal.parse(text)).isEqualTo(Principal.parse(Principal.parse(text).toString()));
    }

    @Test
    void unscopedNamespacesKeepSlashesInTheName() {
        Principal agent = Principal.parse("agent:build/42");
        assertThat(agent.scope()).isNull();
        assertThat(agent.name()).isEqualTo("build/42");
        assertThat(Principal.parse("token:issuer/id").scope()).isEqualTo("issuer");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "prod/role|no namespace prefix",
            ":x/y|no namespace prefix",
            "pg:prod|pg:<scope>/<name>",
            "pg:/role|pg:<scope>/<name>",
            "pg:prod/|pg:<scope>/<name>",
            "token:issuer|token:<scope>/<name>",
            "agent:|empty name"})
    void malformedPrincipalsAreRejectedWithAReason(String text, String reason) {
        assertThatThrownBy(() -> Principal.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(reason);
    }

    @Test
    void constructorRejectsScopeWithSlashOrMissingScope() {
        assertThatThrownBy(() -> Principal.postgres("a/b", "r")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Principal("pg", null, "r")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Principal.postgres("prod", "a/b").toString()).isEqualTo("pg:prod/a/b");
    }

    // Property-style checks: plain JUnit over many generated values (a fixed seed, so a failure reproduces).
    private static final int CASES = 20_000;
    /** Characters principals meet in practice and the ones that could confuse the split. */
    private static final String ALPHABET = "abcXYZ019_-.@+= ;'\"\\:/*é\u00e4\u4e2d\t";

    private static String text(Random random, int min, int max, String excluded) {
        StringBuilder b = new StringBuilder();
        int length = min + random.nextInt(max - min + 1);
        while (b.length() < length) {
            char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
            if (excluded.indexOf(c) < 0) {
                b.append(c);
            }
        }
        return b.toString();
    }

    @Test
    void factoriesAgreeWithTheTextFormProducersUsedToConcatenate() {
        Random random = new Random(16);
        for (int i = 0; i < CASES; i++) {
            String scope = text(random, 1, 20, "/");
            String name = text(random, 1, 40, "");
            assertFactory(Principal.postgres(scope, name), "pg:" + scope + "/" + name);
            assertFactory(Principal.token(scope, name), "token:" + scope + "/" + name);
            assertFactory(Principal.kafka(scope, name), "kafka:" + scope + "/" + name);
            assertFactory(Principal.agent(name), "agent:" + name);
        }
    }

    private static void assertFactory(Principal built, String concatenated) {
        assertThat(built.format()).isEqualTo(concatenated);
        assertThat(Principal.parse(concatenated)).isEqualTo(built);
        assertThat(built.toString()).isEqualTo(built.format());
        assertThat(concatenated).startsWith(Principal.prefix(built.namespace()));
        assertThat(built.is(built.namespace())).isTrue();
    }

    @Test
    void formatOfParseIsTheIdentityOnValidText() {
        Random random = new Random(4);
        String[] namespaces = {"pg", "token", "kafka", "agent", "svc", "x y"};
        for (int i = 0; i < CASES; i++) {
            String namespace = random.nextInt(4) == 0 ? text(random, 1, 8, ":") : namespaces[random.nextInt(namespaces.length)];
            boolean scoped = namespace.equals("pg") || namespace.equals("token") || namespace.equals("kafka");
            String rest = scoped ? text(random, 1, 20, "/") + "/" + text(random, 1, 40, "") : text(random, 1, 60, "");
            String valid = namespace + ":" + rest;
            Principal parsed = Principal.parse(valid);
            assertThat(parsed.format()).isEqualTo(valid);
            assertThat(new Principal(parsed.namespace(), parsed.scope(), parsed.name())).isEqualTo(parsed);
        }
    }

    @Test
    void anyTextEitherRoundTripsOrIsRejectedWithIllegalArgument() {
        Random random = new Random(42);
        int rejected = 0;
        for (int i = 0; i < CASES; i++) {
            String candidate = text(random, 0, 30, "");
            Principal parsed;
            try {
                parsed = Principal.parse(candidate);
            } catch (IllegalArgumentException e) {
                rejected++;
                assertThat(e.getMessage()).isNotBlank();
                assertThat(Principal.tryParse(candidate)).isEmpty();
                continue;
            }
            assertThat(parsed.format()).isEqualTo(candidate);
            assertThat(Principal.tryParse(candidate)).contains(parsed);
        }
        // the generator reaches both sides, or this test would prove nothing
        assertThat(rejected).isBetween(1, CASES - 1);
    }

    @Test
    void textLongerThanTheBoundIsRejectedByParseAndFactories() {
        Function<Integer, String> name = n -> "r".repeat(n);
        int fits = Principal.MAX_CHARS - "pg:c/".length();
        assertThat(Principal.parse("pg:c/" + name.apply(fits)).format()).hasSize(Principal.MAX_CHARS);
        assertThatThrownBy(() -> Principal.parse("pg:c/" + name.apply(fits + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than " + Principal.MAX_CHARS);
        assertThatThrownBy(() -> Principal.postgres("c", name.apply(fits + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than " + Principal.MAX_CHARS);
        assertThatThrownBy(() -> Principal.agent(name.apply(Principal.MAX_CHARS)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
