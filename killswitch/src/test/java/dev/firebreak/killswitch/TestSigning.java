package dev.firebreak.killswitch;

import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.SigningKey;
import java.util.Map;

/** The signing secrets of the kill switch's tests, in one place. */
public final class TestSigning {
    /** Detection's command secret, which the kill switch verifies with. */
    public static final String COMMAND_SECRET = "killswitch-test-command-secret-0123456789";
    /** The kill switch's own result secret. */
    public static final String RESULT_SECRET = "killswitch-test-result-secret-0123456789";
    public static final SigningKey COMMAND_KEY = SigningKey.of(COMMAND_SECRET);
    public static final SigningKey RESULT_KEY = SigningKey.of(RESULT_SECRET);

    private TestSigning() {
    }

    /** The two kill switch settings holding the secrets above. */
    public static Map<String, String> settings() {
        return Map.of(KillSwitchConfig.COMMAND_VERIFICATION_SECRET, COMMAND_SECRET,
                KillSwitchConfig.RESULT_SIGNING_SECRET, RESULT_SECRET);
    }

    /** The command as detection would sign it. */
    public static RevokeCommand signed(RevokeCommand command) {
        return RecordSignatures.sign(command, COMMAND_KEY);
    }
}
