package dev.firebreak.ingest.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One bearer token of the HTTP endpoint and the agent ids it may speak for. A record whose
 * {@code agent_id} matches none of {@link #agents()} is refused (403), so a leaked token of one
 * agent cannot be used to blame, or to hide behind, another.
 *
 * <p>Written {@code <token>:<agent>[|<agent>...]} in {@code firebreak.ingest.agent.http.tokens}
 * (comma-separated entries) and {@code http.tokens.file} (one entry per line). An agent pattern is an
 * agent id in which {@code *} stands for any run of characters ({@code deploy-*}); {@code *} alone
 * means every agent and must be written out: a token with no agent list is refused at start-up.
 * Tokens therefore cannot contain {@code :}, {@code ,} or blanks. {@link #toString()} never shows
 * the token.
 *
 * @param token  the secret
 * @param agents agent id patterns, at least one
 */
public record AgentTokenGrant(String token, List<String> agents) {
    /** An agent pattern: the agent id alphabet plus {@code *}. */
    public static final Pattern AGENT_PATTERN = Pattern.compile("[A-Za-z0-9._:*-]{1,128}");
    /** What an entry looks like, for error messages. */
    public static final String SYNTAX = "<token>:<agent>[|<agent>...] where <agent> is an agent id or a glob such as "
            + "deploy-* (* alone: every agent), e.g. <token>:cleanup-bot|deploy-*";

    public AgentTokenGrant {
        Objects.requireNonNull(token, "token");
        agents = List.copyOf(agents);
        if (agents.isEmpty()) {
            throw new IllegalArgumentException("a token needs at least one agent pattern; allowed: " + SYNTAX);
        }
        for (String agent : agents) {
            if (!AGENT_PATTERN.matcher(agent).matches()) {
                throw new IllegalArgumentException("agent pattern " + AgentActionParser.quote(agent) + " is invalid; allowed: "
                        + AGENT_PATTERN.pattern());
            }
        }
    }

    /** A grant for {@code token} over {@code agents}. */
    public static AgentTokenGrant of(String token, String... agents) {
        return new AgentTokenGrant(token, List.of(agents));
    }

    /**
     * Parses one entry, {@code <token>:<agent>[|<agent>...]}, split at the first {@code :} (agent ids
     * may contain {@code :}, tokens may not). Messages never contain the token.
     */
    public static AgentTokenGrant parse(String entry) {
        String text = entry.strip();
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("an entry has no agent list (the token is not shown); allowed: " + SYNTAX);
        }
        String token = text.substring(0, colon).strip();
        List<String> agents = new ArrayList<>();
        for (String agent : text.substring(colon + 1).split("\\|", -1)) {
            if (!agent.isBlank()) {
                agents.add(agent.strip());
            }
        }
        if (agents.isEmpty()) {
            throw new IllegalArgumentException("an entry has an empty agent list (the token is not shown); allowed: " + SYNTAX);
        }
        return new AgentTokenGrant(token, agents);
    }

    /** Whether this token may send records with {@code agent_id = agentId}. */
    public boolean mayActFor(String agentId) {
        for (String agent : agents) {
            if (matches(agent, agentId)) {
                return true;
            }
        }
        return false;
    }

    /** Glob match, {@code *} being the only wildcard; linear, no regular expression built from config. */
    static boolean matches(String glob, String text) {
        int g = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (g < glob.length() && glob.charAt(g) != '*' && glob.charAt(g) == text.charAt(t)) {
                g++;
                t++;
            } else if (g < glob.length() && glob.charAt(g) == '*') {
                star = g++;
                mark = t;
            } else if (star >= 0) {
                g = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (g < glob.length() && glob.charAt(g) == '*') {
            g++;
        }
        return g == glob.length();
    }

    @Override
    public String toString() {
        return "AgentTokenGrant[token=<redacted>, agents=" + agents + "]";
    }
}
