package dev.firebreak.detect;

import dev.firebreak.schema.signing.SigningKey;

/**
 * When an open episode whose revocation did not hold gets a new revoke command. The kill switch's
 * results are trusted only under {@code resultKey}; without one, nothing is re-issued.
 *
 * @param resultKey verifies the kill switch's results ({@link DetectionConfig#RESULT_VERIFICATION_SECRET}), or null
 * @param max       commands re-issued at most per episode, after the first ({@link DetectionConfig#REISSUE_MAX})
 */
public record ReissuePolicy(SigningKey resultKey, int max) {
    /** Three more tries: a revoker that fails four times in one burst needs a human, who is paged. */
    public static final int DEFAULT_MAX = 3;
    /** Upper bound of {@link #max}: each re-issue is a full revocation round on every target. */
    public static final int MAX_MAX = 100;
    /** Never re-issues and reads no results. */
    public static final ReissuePolicy DISABLED = new ReissuePolicy(null, 0);

    public ReissuePolicy {
        if (max < 0 || max > MAX_MAX) {
            throw new IllegalArgumentException(DetectionConfig.REISSUE_MAX + "=" + max + " is invalid; allowed: 0.." + MAX_MAX);
        }
    }

    /** Whether results are read at all: a key to trust them and at least one re-issue allowed. */
    public boolean enabled() {
        return resultKey != null && max > 0;
    }
}
