package dev.firebreak.launcher.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The pgbench script of {@code capture-cost-bench}'s client transactions: one single-row UPDATE of
 * pgbench_accounts per transaction, what one gated UPDATE costs the backend when a client sends it.
 */
final class ClientUpdate {
    private static final String SCRIPT = "client_update.pgbench";

    /** The pgbench variable the script draws account ids up to. */
    static final String ACCOUNTS_VARIABLE = "accounts";

    private ClientUpdate() {
    }

    /** The script, copied to a temporary file pgbench can read; deleted when the JVM exits. */
    static Path scriptFile() {
        try (InputStream in = ClientUpdate.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + SCRIPT);
            }
            Path file = Files.createTempFile("firebreak-client-update", ".pgbench");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
