package dev.firebreak.ingest.preflight;

import java.time.Duration;
import java.util.Set;

/** The live state of one agent (and the credential it names) that decision rules read. */
public interface PrincipalView {

    /** The agent or its credential was revoked by the kill switch and not reinstated since. */
    boolean revoked();

    /** An alert of one of these severities (lower-case) about the agent or its credential is recent enough to be open. */
    boolean openEpisode(Set<String> severities);

    /** Earlier attempts of the agent that were denied, or held (ask) and not approved, within {@code window}. */
    int refusedAttempts(Duration window);
}
