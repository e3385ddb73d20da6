package dev.firebreak.killswitch.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.Principal;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;

class KafkaPrincipalsTest {

    @Test
    void bareNameIsAUser() {
        assertThat(KafkaPrincipals.parse("agent-7")).isEqualTo(new KafkaPrincipal("User", "agent-7"));
    }

    @Test
    void typeEndsAtTheFirstColon() {
        assertThat(KafkaPrincipals.parse("User:agent-7")).isEqualTo(new KafkaPrincipal("User", "agent-7"));
        assertThat(KafkaPrincipals.parse("User:CN=a:b,O=x")).isEqualTo(new KafkaPrincipal("User", "CN=a:b,O=x"));
        assertThat(KafkaPrincipals.parse("Group:ops")).isEqualTo(new KafkaPrincipal("Group", "ops"));
    }

    @Test
    void namespacedTargetCarriesThePrincipalVerbatim() {
        Principal target = Principal.parse("kafka:main/User:agent-7");
        assertThat(target.scope()).isEqualTo("main");
        assertThat(KafkaPrincipals.parse(target.name()).toString()).isEqualTo("User:agent-7");
    }

    @Test
    void emptyPartsAreRejected() {
        assertThatThrownBy(() -> KafkaPrincipals.parse(" ")).hasMessageContaining("empty");
        assertThatThrownBy(() -> KafkaPrincipals.parse("User:")).hasMessageContaining("<type>:<name>");
        assertThatThrownBy(() -> KafkaPrincipals.parse(":agent")).hasMessageContaining("<type>:<name>");
    }

    @Test
    void wildcardIsRecognised() {
        assertThat(KafkaPrincipals.isWildcard(KafkaPrincipals.parse("User:*"))).isTrue();
        assertThat(KafkaPrincipals.isWildcard(KafkaPrincipals.parse("*"))).isTrue();
        assertThat(KafkaPrincipals.isWildcard(KafkaPrincipals.parse("agent-*"))).isFalse();
    }
}
