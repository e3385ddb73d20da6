package dev.firebreak.schema;

import java.util.Objects;
import java.util.Optional;

/**
 * A namespaced identity as it travels on the topics: {@code pg:<cluster>/<role>},
 * {@code token:<issuer>/<id>}, {@code kafka:<cluster>/<principal>}, {@code agent:<id>}. Its text form is the
 * key of every topic and of the detection state stores, so it is built only here ({@link #postgres},
 * {@link #token}, {@link #kafka}, {@link #agent}) and read only here ({@link #parse}); the text form must never
 * change for a given principal.
 *
 * <p>The namespace ends at the first {@code ':'}. Namespaces with a scope ({@code pg}, {@code token}, {@code kafka})
 * split the rest on its FIRST {@code '/'}: the scope (cluster, issuer) never contains a slash, while
 * the name is taken verbatim and may contain anything, slashes, quotes, semicolons and spaces
 * included, because PostgreSQL role names can. The whole text is at most {@value #MAX_CHARS} characters.
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
    /**
     * Upper bound of the text form. Far above every real principal (PostgreSQL role names stop at 63 bytes,
     * ingest bounds agent ids and tokens to a few hundred characters), low enough that a hostile key cannot
     * bloat a state store.
     */
    public static final int MAX_CHARS = 1024;

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
        int length = namespace.length() + 1 + (scope == null ? 0 : scope.length() + 1) + name.length();
        if (length > MAX_CHARS) {
            throw new IllegalArgumentException("principal of namespace " + namespace + " is " + length
                    + " characters long, more than " + MAX_CHARS);
        }
    }

    /** A PostgreSQL role principal: {@code pg:<cluster>/<role>}; {@code role} is the login role, verbatim. */
    public static Principal postgres(String cluster, String role) {
        return new Principal(POSTGRES, cluster, role);
    }

    /** An API token principal: {@code token:<issuer>/<id>}. */
    public static Principal token(String issuer, String id) {
        return new Principal(TOKEN, issuer, id);
    }

    /** A Kafka principal: {@code kafka:<cluster>/<principal>}, e.g. {@code kafka("main", "User:agent-7")}. */
    public static Principal kafka(String cluster, String kafkaPrincipal) {
        return new Principal(KAFKA, cluster, kafkaPrincipal);
    }

    /** An AI agent principal: {@code agent:<id>}. */
    public static Principal agent(String id) {
        return new Principal(AGENT, null, id);
    }

    /** The text prefix every principal of {@code namespace} starts with, e.g. {@code "agent:"}. */
    public static String prefix(String namespace) {
        return namespace + ":";
    }

    /**
     * Parses the text form.
     *
     * @throws IllegalArgumentException when the text is null, longer than {@value #MAX_CHARS} characters, not
     *                                  {@code <namespace>:<rest>}, or a scoped namespace lacks its
     *                                  {@code <scope>/<name>} split
     */
    public static Principal parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("principal is null");
        }
        if (text.length() > MAX_CHARS) {
            throw new IllegalArgumentException("principal is " + text.length() + " characters long, more than " + MAX_CHARS
                    + ": " + text.substring(0, 64) + "...");
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

    /** {@link #parse} for callers that fall back on something else: empty instead of an exception. */
    public static Optional<Principal> tryParse(String text) {
        try {
            return Optional.of(parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static boolean hasScope(String namespace) {
        return POSTGRES.equals(namespace) || TOKEN.equals(namespace) || KAFKA.equals(namespace);
    }

    /** Whether this principal is of {@code namespace}. */
    public boolean is(String namespace) {
        return this.namespace.equals(namespace);
    }

    /** The text form, the topics' key: {@code parse(p.format()).equals(p)}. */
    public String format() {
        return scope == null ? namespace + ":" + name : namespace + ":" + scope + "/" + name;
    }

    /** The text form, as {@link #format()}. */
    @Override
    public String toString() {
        return format();
    }
}
