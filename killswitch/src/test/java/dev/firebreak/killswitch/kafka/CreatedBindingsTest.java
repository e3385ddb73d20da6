package dev.firebreak.killswitch.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;

class CreatedBindingsTest {
    private static final KafkaPrincipal AGENT = new KafkaPrincipal("User", "agent-7");

    @Test
    void denyAllCoversTopicsGroupsTransactionsAndTheCluster() {
        Set<AclBinding> bindings = CreatedBindings.denyAll(AGENT);
        assertThat(bindings).extracting(b -> b.pattern().resourceType() + " " + b.pattern().name() + " " + b.pattern().patternType())
                .containsExactlyInAnyOrder("TOPIC * LITERAL", "GROUP * LITERAL", "TRANSACTIONAL_ID * LITERAL",
                        "CLUSTER kafka-cluster LITERAL");
        assertThat(bindings).allSatisfy(b -> assertThat(b.entry()).isEqualTo(
                new AccessControlEntry("User:agent-7", "*", AclOperation.ALL, AclPermissionType.DENY)));
    }

    @Test
    void jsonRoundTripsExactlyTheCreatedBindings() {
        Set<AclBinding> some = Set.copyOf(CreatedBindings.denyAll(AGENT).stream()
                .filter(b -> b.pattern().resourceType() != ResourceType.GROUP).toList());
        String json = CreatedBindings.of(AGENT, some).toJson();
        assertThat(CreatedBindings.parse(json, AGENT)).isEqualTo(some);
    }

    @Test
    void stateOfAnotherPrincipalIsRejected() {
        String json = CreatedBindings.of(AGENT, CreatedBindings.denyAll(AGENT)).toJson();
        assertThatThrownBy(() -> CreatedBindings.parse(json, new KafkaPrincipal("User", "ops")))
                .hasMessageContaining("belongs to User:agent-7");
    }

    @Test
    void bindingsTheKillSwitchNeverCreatesAreRejected() {
        AclBinding allow = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "events", PatternType.LITERAL),
                new AccessControlEntry("User:agent-7", "*", AclOperation.READ, AclPermissionType.ALLOW));
        String json = CreatedBindings.of(AGENT, Set.of(allow)).toJson();
        assertThatThrownBy(() -> CreatedBindings.parse(json, AGENT)).hasMessageContaining("never creates");
        assertThatThrownBy(() -> CreatedBindings.parse("{\"role\":\"x\"}", AGENT)).hasMessageContaining("not a Kafka revocation record");
        assertThatThrownBy(() -> CreatedBindings.parse("", AGENT)).isInstanceOf(IllegalArgumentException.class);
    }
}
