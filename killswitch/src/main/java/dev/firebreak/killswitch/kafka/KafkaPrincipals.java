package dev.firebreak.killswitch.kafka;

import org.apache.kafka.common.security.auth.KafkaPrincipal;

/**
 * Kafka principal strings as operators write them: {@code User:agent-7}, or a bare {@code agent-7}
 * meaning {@code User:agent-7}. The type ends at the first {@code ':'}, as in Kafka's own parser,
 * so the name may contain colons (e.g. an SSL distinguished name after {@code User:}).
 */
public final class KafkaPrincipals {
    private KafkaPrincipals() {
    }

    /**
     * Parses a principal string.
     *
     * @throws IllegalArgumentException when it is blank, or its type or name is empty
     */
    public static KafkaPrincipal parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("Kafka principal is empty; expected <type>:<name>, e.g. User:agent-7");
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            return new KafkaPrincipal(KafkaPrincipal.USER_TYPE, text);
        }
        String type = text.substring(0, colon);
        String name = text.substring(colon + 1);
        if (type.isEmpty() || name.isEmpty()) {
            throw new IllegalArgumentException("Kafka principal must look like <type>:<name>, e.g. User:agent-7, was '" + text + "'");
        }
        return new KafkaPrincipal(type, name);
    }

    /** Whether the principal is a wildcard ({@code User:*}), which stands for every user. */
    public static boolean isWildcard(KafkaPrincipal principal) {
        return "*".equals(principal.getName());
    }
}
