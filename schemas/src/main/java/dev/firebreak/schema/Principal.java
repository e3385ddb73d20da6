package dev.firebreak.schema;

import java.util.Objects;

/**
 * A namespaced identity as it travels on the topics: {@code pg:<cluster>/<role>},
 * {@code token:<issuer>/<id>}, {@code kafka:<cluster>/<principal>}, {@code agent:<id>}.
 *
 * <p>The namespace ends at the first {@code ':'}. Namespaces with a scope ({@code pg}, {@code token}, {@code kafka})
 * split the rest on its FIRST {@code '/'}: the scope (cluster, issuer) never contains a slash, while
 * the name is taken verbatim and may contain anything, slashes, quotes, semicolons and spaces
 * included, because PostgreSQL role names can.
 *
 * @param namespace e.g. {@code pg}
 * @param scope     cluster or issuer; {@code null} for namespaces without one (e.g. {@code agent})
 * @param name      the role, token id or agent id, verbatim
 */
public record Principal(String namespace, String scope, String name) {
    /** PostgreSQL roles: {@code pg:<cluster>/<role>}. */
    public static final String POSTGRES = "pg";
    /** API tokens: {@code token:<issuer>/<id>}. */
    public static final String TOKEN = "token";
    /** Kafka principals: {@code kafka:<cluster>/<principal>}, e.g. {@code kafka:main/User:agent-7}. */
    public static final String KAFKA = "kafka";
    /** AI agents: {@code agent:<id>}. */
    public static final String AGENT = "agent";

    public Principal {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        if (namespace.isEmpty() || namespace.contains(":")) {
            throw new IllegalArgumentException("bad namespace: " + namespace);
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException("empty name in principal of namespace " + namespace);
        }
        if (scope != null && (scope.isEmpty() || scope.contains("/"))) {
            throw new IllegalArgumentException("bad scope (empty or containing '/'): " + scope);
        }
        if (scope == null && hasScope(namespace)) {
            throw new IllegalArgumentException("namespace " + namespace + " needs a scope: " + namespace + ":<scope>/<name>");
        }
    }

    /** A PostgreSQL role principal. */
    public static Principal postgres(String cluster, String role) {
        return new Principal(POSTGRES, cluster, role);
    }

    /**
     * Parses the text form.
     *
     * @throws IllegalArgumentException when the text is not {@code <namespace>:<rest>}, or a scoped
     *                                  namespace lacks its {@code <scope>/<name>} split
     */
    public static Principal parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("principal is null");
        }
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("principal has no namespace prefix (e.g. pg:): " + text);
        }
        String namespace = text.substring(0, colon);
        String rest = text.substring(colon + 1);
        if (!hasScope(namespace)) {
            return new Principal(namespace, null, rest);
        }
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw new IllegalArgumentException("principal must look like " + namespace + ":<scope>/<name>: " + text);
        }
        return new Principal(namespace, rest.substring(0, slash), rest.substring(slash + 1));
    }

    private static boolean hasScope(String namespace) {
        return POSTGRES.equals(namespace) || TOKEN.equals(namespace) || KAFKA.equals(namespace);
    }

    /** The text form; {@code parse(p.toString()).equals(p)}. */
    @Override
    public String toString() {
        return scope == null ? namespace + ":" + name : namespace + ":" + scope + "/" + name;
    }
}
