package dev.firebreak.ingest.agent;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The bearer tokens the HTTP endpoint accepts. Only SHA-256 digests are kept, and a presented token
 * is compared against every one of them with {@link MessageDigest#isEqual} (constant time for
 * equal lengths, and digests are always equal length), so neither the position of the first wrong
 * character nor the token's length leaks through timing.
 */
final class BearerTokens {
    /** What an Authorization header said, as far as the endpoint answers differently. */
    enum Check { ACCEPTED, MISSING, INVALID }

    private static final String SCHEME = "Bearer ";
    private final List<byte[]> digests;

    BearerTokens(List<String> tokens) {
        this.digests = tokens.stream().map(BearerTokens::sha256).toList();
    }

    /** Checks an {@code Authorization} header value (null when absent). */
    Check check(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return Check.MISSING;
        }
        if (!authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return Check.INVALID;
        }
        byte[] presented = sha256(authorization.substring(SCHEME.length()).trim());
        boolean match = false;
        for (byte[] digest : digests) {
            match |= MessageDigest.isEqual(presented, digest); // no early exit: every token costs the same
        }
        return match ? Check.ACCEPTED : Check.INVALID;
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
