package dev.firebreak.stack;

import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.metadata.UserScramCredentialRecord;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * Adds SCRAM-SHA-512 users to a KRaft cluster's bootstrap metadata, which the first active controller
 * writes into the metadata log before it serves anyone: what {@code kafka-storage format --add-scram}
 * does, for the test kit, whose formatter takes no SCRAM arguments. Only salted keys are stored, never
 * a password.
 */
final class ScramBootstrap {
    private static final int ITERATIONS = 4096;

    private ScramBootstrap() {
    }

    /** {@code base} (metadata version and features) with a credential record per user appended. */
    static BootstrapMetadata withUsers(BootstrapMetadata base, Map<String, String> users) throws NoSuchAlgorithmException {
        List<ApiMessageAndVersion> records = new ArrayList<>(base.records());
        for (Map.Entry<String, String> user : users.entrySet()) {
            records.add(record(user.getKey(), user.getValue()));
        }
        return BootstrapMetadata.fromRecords(records, base.source() + " with SCRAM users");
    }

    private static ApiMessageAndVersion record(String user, String password) throws NoSuchAlgorithmException {
        ScramCredential credential = new ScramFormatter(
                org.apache.kafka.common.security.scram.internals.ScramMechanism.SCRAM_SHA_512)
                .generateCredential(password, ITERATIONS);
        return new ApiMessageAndVersion(new UserScramCredentialRecord()
                .setName(user)
                .setMechanism(ScramMechanism.SCRAM_SHA_512.type())
                .setSalt(credential.salt())
                .setStoredKey(credential.storedKey())
                .setServerKey(credential.serverKey())
                .setIterations(credential.iterations()), (short) 0);
    }
}
