package dev.firebreak.ingest.agent;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The bearer tokens the HTTP endpoint accepts. Only SHA-256 digests are kept, and a presented token
 * is compared against every one of them with {@link MessageDigest#isEqual} (constant time for
 * equal lengths, and digests are always equal length), so neither the position of the first wrong
 * character nor the token's length leaks through timing. Each token carries the agent ids it may
 * speak for ({@link AgentTokenGrant}).
 */
final class BearerTokens {
    /** What an Authorization header said, as far as the endpoint answers differently. */
    enum Check { ACCEPTED, MISSING, INVALID }

    private static final String SCHEME = "Bearer ";
    /** The outcome, and for {@link Check#ACCEPTED} the agent patterns of the matching token. */
    record Result(Check check, Grant grant) { }

    /** What a token may do, without the token itself. */
    record Grant(List<String> agents, AgentTokenGrant source) {
        boolean mayActFor(String agentId) {
            return source.mayActFor(agentId);
        }

        @Override
        public String toString() {
            return "Grant" + agents;
        }
    }

    private final List<byte[]> digests;
    private final List<Grant> grants;

    BearerTokens(List<AgentTokenGrant> tokens) {
        this.digests = tokens.stream().map(t -> sha256(t.token())).toList();
        // strip the secret from what the endpoint keeps beside the digests
        this.grants = tokens.stream().map(t -> new Grant(t.agents(), new AgentTokenGrant("<redacted>", t.agents()))).toList();
    }

    /** Checks an {@code Authorization} header value (null when absent). */
    Result check(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return new Result(Check.MISSING, null);
        }
        if (!authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return new Result(Check.INVALID, null);
        }
        byte[] presented = sha256(authorization.substring(SCHEME.length()).trim());
        int match = -1;
        for (int i = 0; i < digests.size(); i++) {
            // no early exit: every token costs the same
            if (MessageDigest.isEqual(presented, digests.get(i)) && match < 0) {
                match = i;
            }
        }
        return match < 0 ? new Result(Check.INVALID, null) : new Result(Check.ACCEPTED, grants.get(match));
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
