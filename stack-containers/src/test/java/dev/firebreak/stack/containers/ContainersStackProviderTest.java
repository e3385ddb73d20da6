package dev.firebreak.stack.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.firebreak.stack.PostgresService;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The container path runs only where Docker exists; elsewhere it must say why it cannot. */
class ContainersStackProviderTest {
    private final ContainersStackProvider provider = new ContainersStackProvider();

    @Test
    void withoutDockerItSaysWhyAndTheEmbeddedStackIsUsed() {
        assumeFalse(provider.unavailableReason().isEmpty(), "Docker is present here");
        assertThat(provider.unavailableReason().orElseThrow()).containsIgnoringCase("docker");
    }

    @Test
    void withDockerPostgresRunsWithLogicalDecoding() throws Exception {
        assumeTrue(provider.unavailableReason().isEmpty(), "no Docker here: the in-JVM stack is used instead");
        try (PostgresService pg = provider.startPostgres(); Connection c = pg.superuserConnection();
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW wal_level")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("logical");
            assertThat(pg.localDataDirectory()).isEmpty();
        }
    }
}
