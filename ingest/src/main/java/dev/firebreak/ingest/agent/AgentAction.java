package dev.firebreak.ingest.agent;

import dev.firebreak.schema.Principal;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One validated action an agent took, as its framework logged it. Built only by
 * {@link AgentActionParser}, so every instance satisfies the rules documented there.
 *
 * @param agentId             who acted; the event's principal is {@code agent:<agentId>}
 * @param runId               the agent run (session, conversation) it belonged to, or null
 * @param credential          the credential it acted with: a namespaced principal
 *                            ({@code token:<issuer>/<id>}, {@code pg:<cluster>/<role>}, {@code agent:<id>})
 *                            or a free-text description; null when unknown. Never a secret.
 * @param tool                the tool it used ({@code bash}, {@code psql}, {@code http}, anything else)
 * @param input               what it passed to the tool (command line, SQL, request summary)
 * @param targetEnvironment   where the action was aimed ({@code production}, {@code staging}...), or null
 * @param occurredAt          when it happened by the agent's (or database's) clock
 * @param occurredAtDefaulted true when the record carried no time and {@code occurredAt} is the receive time
 * @param actionId            client-supplied idempotency id (HTTP only), or null
 * @param http                the HTTP call, for HTTP-like tools that report it, or null
 * @param rowId               primary key in {@code firebreak.agent_actions} (table only), or null
 */
public record AgentAction(
        String agentId,
        String runId,
        String credential,
        String tool,
        String input,
        String targetEnvironment,
        Instant occurredAt,
        boolean occurredAtDefaulted,
        String actionId,
        HttpCall http,
        Long rowId) {

    /** {@code token:<issuer>/<id>}: an API token known to the kill switch by issuer and token id. */
    static final Pattern TOKEN_PRINCIPAL = Pattern.compile("token:[A-Za-z0-9._-]{1,64}/[A-Za-z0-9._:@+=-]{1,256}");
    /** {@code pg:<cluster>/<role>}: cluster as in the ingest config, role without blanks or slashes. */
    static final Pattern PG_PRINCIPAL = Pattern.compile("pg:[a-z0-9][a-z0-9_-]{0,62}/[^\\s/]{1,63}");
    /** {@code agent:<id>}: an agent acting with another agent's identity. */
    static final Pattern AGENT_PRINCIPAL = Pattern.compile("agent:[A-Za-z0-9._:-]{1,128}");

    /**
     * An HTTP call reported by the agent framework.
     *
     * @param method upper-case HTTP method
     * @param url    the request URL
     * @param body   the request body as text (a GraphQL document, JSON), or null
     */
    public record HttpCall(String method, String url, String body) {
    }

    /** The principal the event is about: {@code agent:<agentId>}. */
    public String principal() {
        return principalOf(agentId);
    }

    /** The principal of an agent id. */
    public static String principalOf(String agentId) {
        return Principal.agent(agentId).format();
    }

    /** The credential as a principal the kill switch can revoke, when it is namespaced. */
    public Optional<String> linkedPrincipal() {
        return isNamespacedPrincipal(credential) ? Optional.of(credential) : Optional.empty();
    }

    /** Whether {@code value} is a well-formed {@code token:}, {@code pg:} or {@code agent:} principal. */
    public static boolean isNamespacedPrincipal(String value) {
        return value != null && (TOKEN_PRINCIPAL.matcher(value).matches() || PG_PRINCIPAL.matcher(value).matches()
                || AGENT_PRINCIPAL.matcher(value).matches());
    }

    /** Whether {@code value} claims a principal namespace (and so must be well-formed). */
    static boolean claimsNamespace(String value) {
        return value.startsWith(Principal.prefix(Principal.TOKEN)) || value.startsWith(Principal.prefix(Principal.POSTGRES))
                || value.startsWith(Principal.prefix(Principal.AGENT));
    }
}
