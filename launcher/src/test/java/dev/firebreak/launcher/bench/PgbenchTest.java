package dev.firebreak.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The pgbench summary parser only; the benchmark itself never runs in the test suite. */
class PgbenchTest {

    private static final String PGBENCH_15 = """
            pgbench (15.18 (Debian 15.18-0+deb12u1), server 17.6)
            starting vacuum...end.
            transaction type: <builtin: TPC-B (sort of)>
            scaling factor: 5
            query mode: prepared
            number of clients: 4
            number of threads: 2
            maximum number of tries: 1
            duration: 15 s
            number of transactions actually processed: 19623
            number of failed transactions: 0 (0.000%)
            latency average = 3.057 ms
            initial connection time = 9.870 ms
            tps = 1308.421605 (without initial connection time)
            """;

    @Test
    void readsThroughputLatencyAndCountsOfACompleteRun() {
        Pgbench.Result result = Pgbench.parse(PGBENCH_15, 0);

        assertThat(result.tps()).isEqualTo(1308.421605);
        assertThat(result.latencyAverageMs()).isEqualTo(3.057);
        assertThat(result.transactions()).isEqualTo(19623);
        assertThat(result.failed()).isZero();
        assertThat(result.complete()).isTrue();
    }

    @Test
    void takesTheRateWithoutConnectionSetUpFromOlderClientsThatPrintTwo() {
        String pgbench13 = """
                number of transactions actually processed: 1000
                latency average = 4.000 ms
                tps = 990.000000 (including connections establishing)
                tps = 1000.500000 (excluding connections establishing)
                """;

        assertThat(Pgbench.parse(pgbench13, 0).tps()).isEqualTo(1000.5);
    }

    @Test
    void anAbortedRunIsIncompleteAndSaysWhy() {
        String aborted = PGBENCH_15.replace("starting vacuum...end.\n", """
                starting vacuum...end.
                pgbench: error: client 2 script 0 aborted in command 5 query 0: ERROR:  refused by firebreak guard
                """) + "pgbench: error: Run was aborted; the above results are incomplete.\n";

        Pgbench.Result result = Pgbench.parse(aborted, 2);

        assertThat(result.complete()).isFalse();
        assertThat(result.problem()).contains("client 2 script 0 aborted", "refused by firebreak guard");
    }

    @Test
    void aRunThatPrintedNoRateHasNone() {
        Pgbench.Result result = Pgbench.parse("pgbench: error: connection to server failed\n", 1);

        assertThat(result.tps()).isNaN();
        assertThat(result.transactions()).isEqualTo(-1);
        assertThat(result.complete()).isFalse();
        assertThat(result.problem()).isEqualTo("pgbench: error: connection to server failed");
    }

    @Test
    void aScriptRunNamesItsFileAndVariablesBeforeTheDatabase() {
        assertThat(Pgbench.loadArguments("db", 1, 1, 8, List.of("-f", "/tmp/s.pgbench", "-D", "accounts=500000")))
                .containsExactly("-n", "-M", "prepared", "-c", "1", "-j", "1", "-T", "8", "-f", "/tmp/s.pgbench", "-D",
                        "accounts=500000", "db");
        assertThat(Pgbench.loadArguments("db", 4, 2, 15, List.of()))
                .as("the built-in TPC-B-like script").containsExactly("-n", "-M", "prepared", "-c", "4", "-j", "2", "-T", "15", "db");
    }
}
