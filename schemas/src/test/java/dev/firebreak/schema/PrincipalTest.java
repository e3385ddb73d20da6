package dev.firebreak.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
