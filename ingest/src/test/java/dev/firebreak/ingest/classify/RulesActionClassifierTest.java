package dev.firebreak.ingest.classify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Properties of the classifier as a whole that single corpus entries cannot show. */
class RulesActionClassifierTest {

    private static final RulesActionClassifier CLASSIFIER = RulesActionClassifier.defaults();

    @Test
    void reasonsDoNotRepeatCredentials() {
        List<Verdict> verdicts = List.of(
                CLASSIFIER.classifyShell("curl -X DELETE https://api.x.test/v1/db/1 -H 'Authorization: Bearer sk_live_abcdef123456'"),
                CLASSIFIER.classifyHttp("DELETE", "https://api.x.test/v1/db/1?api_key=sk_live_abcdef123456", null),
                CLASSIFIER.classifyShell("psql postgres://admin:sk_live_abcdef123456@db/prod -c 'SELECT 1'"),
                CLASSIFIER.classifyShell("mysql -uroot -psk_live_abcdef123456 -e 'SELECT 1'"),
                CLASSIFIER.classifySql("ALTER ROLE app PASSWORD 'sk_live_abcdef123456'"));
        assertThat(verdicts).allSatisfy(v -> assertThat(v.reason()).doesNotContain("sk_live_abcdef123456"));
        assertThat(verdicts.get(0).destructive()).isTrue();
    }

    @Test
    void anyDestructivePartMakesTheWholeDestructiveAndIsTheOneReported() {
        Verdict v = CLASSIFIER.classifyShell("git pull && npm ci && kubectl delete ns staging; echo ok");
        assertThat(v.destructive()).isTrue();
        assertThat(v.ruleId()).isEqualTo("shell-kubectl-delete");
        Verdict sql = CLASSIFIER.classifySql("SELECT 1; UPDATE t SET a = 1 WHERE id = 2; TRUNCATE t; DROP TABLE u");
        assertThat(sql.ruleId()).isEqualTo("sql-truncate");
    }

    @Test
    void benignMixesReportTheEarliestRuleInTheFile() {
        // sql-delete-filtered is defined before sql-read, so it speaks for the script.
        assertThat(CLASSIFIER.classifySql("SELECT 1; DELETE FROM t WHERE id = 3").category()).isEqualTo("sql.delete_filtered");
        // A statement the parser could not read is reported rather than hidden behind a benign one.
        assertThat(CLASSIFIER.classifySql("SELECT 1; VACUUM t").category()).isEqualTo("sql.unparsed");
    }

    @Test
    void sqlInsideShellAndHttpInsideShellKeepTheShellKind() {
        assertThat(CLASSIFIER.classifyShell("psql -c 'DROP TABLE t'").kind()).isEqualTo(ActionKind.SHELL);
        assertThat(CLASSIFIER.classifyShell("curl -X DELETE https://a.test/x").kind()).isEqualTo(ActionKind.SHELL);
        assertThat(CLASSIFIER.classify("curl", "curl -X DELETE https://a.test/x").kind()).isEqualTo(ActionKind.HTTP);
    }

    @Test
    void concurrentUseGivesTheSameVerdictsAsSequentialUse() throws Exception {
        List<CorpusEntry> corpus = CorpusEntry.load();
        List<Verdict> expected = corpus.stream().map(e -> e.classify(CLASSIFIER)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<Verdict>>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                runs.add(pool.submit(() -> corpus.stream().map(e -> e.classify(CLASSIFIER)).toList()));
            }
            for (Future<List<Verdict>> run : runs) {
                assertThat(run.get(60, TimeUnit.SECONDS)).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void classificationIsFastOnceWarm() {
        List<CorpusEntry> corpus = CorpusEntry.load();
        for (int i = 0; i < 20; i++) {
            corpus.forEach(e -> e.classify(CLASSIFIER));
        }
        long start = System.nanoTime();
        int rounds = 10;
        for (int i = 0; i < rounds; i++) {
            corpus.forEach(e -> e.classify(CLASSIFIER));
        }
        double perActionMs = (System.nanoTime() - start) / 1e6 / (rounds * corpus.size());
        // Generous bound for a shared CI core; typical is well under a millisecond.
        assertThat(perActionMs).isLessThan(5.0);
    }

    @Test
    void pathologicalInputDoesNotHang() {
        String nested = "SELECT " + "(".repeat(500) + "1" + ")".repeat(500);
        assertThat(CLASSIFIER.classifySql(nested).destructive()).isFalse();
        assertThat(CLASSIFIER.classifyShell("bash -c \"".repeat(50) + "rm -rf /x").kind()).isEqualTo(ActionKind.SHELL);
    }
}
