package dev.firebreak.killswitch.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

/**
 * The previous state of a Kafka revocation: exactly the deny bindings it created (not those that
 * already existed), as JSON. Reinstating deletes these and nothing else.
 *
 * @param version   format version, {@value #VERSION}
 * @param principal the revoked principal, {@code <type>:<name>}
 * @param created   the bindings the revocation created
 */
public record CreatedBindings(int version, String principal, List<Binding> created) {
    public static final int VERSION = 1;
    /** Host of every binding: the deny applies from anywhere. */
    public static final String ANY_HOST = "*";
    /** The one resource name of CLUSTER resources. */
    public static final String CLUSTER_RESOURCE = "kafka-cluster";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    public CreatedBindings {
        created = List.copyOf(created);
    }

    /**
     * The bindings that lock {@code principal} out: DENY ALL from any host on every topic, group and
     * transactional id, and on the cluster. Deny wins over any allow in {@code StandardAuthorizer}.
     */
    public static Set<AclBinding> denyAll(KafkaPrincipal principal) {
        AccessControlEntry deny = new AccessControlEntry(principal.toString(), ANY_HOST, AclOperation.ALL, AclPermissionType.DENY);
        return Set.of(
                new AclBinding(new ResourcePattern(ResourceType.TOPIC, ResourcePattern.WILDCARD_RESOURCE, PatternType.LITERAL), deny),
                new AclBinding(new ResourcePattern(ResourceType.GROUP, ResourcePattern.WILDCARD_RESOURCE, PatternType.LITERAL), deny),
                new AclBinding(new ResourcePattern(ResourceType.TRANSACTIONAL_ID, ResourcePattern.WILDCARD_RESOURCE,
                        PatternType.LITERAL), deny),
                new AclBinding(new ResourcePattern(ResourceType.CLUSTER, CLUSTER_RESOURCE, PatternType.LITERAL), deny));
    }

    /** The record of {@code bindings} created for {@code principal}. */
    public static CreatedBindings of(KafkaPrincipal principal, Collection<AclBinding> bindings) {
        return new CreatedBindings(VERSION, principal.toString(), bindings.stream().map(Binding::of).sorted(
                java.util.Comparator.comparing(Binding::resourceType)).toList());
    }

    /** The JSON form. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write previous state", e);
        }
    }

    /**
     * Reads a previous state and checks it can only undo a revocation of {@code principal}: every
     * binding must be one of {@link #denyAll} of that principal, so a tampered or misrouted previous
     * state can never delete someone else's ACLs, or an allow.
     *
     * @throws IllegalArgumentException when the JSON is malformed or names other bindings
     */
    public static Set<AclBinding> parse(String json, KafkaPrincipal principal) {
        CreatedBindings state;
        try {
            state = JSON.readValue(json, CreatedBindings.class);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IllegalArgumentException("previous state is not a Kafka revocation record: " + e.getMessage(), e);
        }
        if (state.version() != VERSION || state.created() == null) {
            throw new IllegalArgumentException("previous state has version " + state.version() + ", expected " + VERSION);
        }
        if (!principal.toString().equals(state.principal())) {
            throw new IllegalArgumentException("previous state belongs to " + state.principal() + ", not " + principal);
        }
        Set<AclBinding> allowed = denyAll(principal);
        Set<AclBinding> bindings = state.created().stream().map(Binding::toAclBinding).collect(Collectors.toSet());
        if (!allowed.containsAll(bindings)) {
            throw new IllegalArgumentException("previous state names bindings the kill switch never creates: " + bindings);
        }
        return bindings;
    }

    /**
     * One ACL binding in plain words.
     *
     * @param resourceType e.g. TOPIC
     * @param resourceName e.g. {@code *}
     * @param patternType  e.g. LITERAL
     * @param principal    e.g. {@code User:agent-7}
     * @param host         e.g. {@code *}
     * @param operation    e.g. ALL
     * @param permission   e.g. DENY
     */
    public record Binding(String resourceType, String resourceName, String patternType, String principal, String host,
                          String operation, String permission) {
        static Binding of(AclBinding b) {
            return new Binding(b.pattern().resourceType().name(), b.pattern().name(), b.pattern().patternType().name(),
                    b.entry().principal(), b.entry().host(), b.entry().operation().name(), b.entry().permissionType().name());
        }

        AclBinding toAclBinding() {
            return new AclBinding(new ResourcePattern(ResourceType.valueOf(resourceType), resourceName, PatternType.valueOf(patternType)),
                    new AccessControlEntry(principal, host, AclOperation.valueOf(operation), AclPermissionType.valueOf(permission)));
        }
    }
}
