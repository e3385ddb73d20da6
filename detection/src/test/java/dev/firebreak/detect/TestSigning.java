package dev.firebreak.detect;

import dev.firebreak.schema.signing.SigningKey;

/** The one command signing secret of detection's tests. */
final class TestSigning {
    static final String SECRET = "detection-test-command-secret-0123456789";
    static final SigningKey KEY = SigningKey.of(SECRET);

    private TestSigning() {
    }
}
