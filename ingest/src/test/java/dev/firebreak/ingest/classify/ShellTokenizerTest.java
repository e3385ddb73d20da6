package dev.firebreak.ingest.classify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.ingest.classify.ShellScript.Command;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShellTokenizerTest {

    private static List<List<String>> words(String line) {
        return ShellTokenizer.parse(line).commands().stream().map(Command::words).toList();
    }

    @Test
    void quotesAndEscapesAreResolved() {
        assertThat(words("psql -c \"DROP TABLE \\\"Users\\\"\" 'it''s' a\\ b $'x\\ny'"))
                .containsExactly(List.of("psql", "-c", "DROP TABLE \"Users\"", "its", "a b", "x\ny"));
    }

    @Test
    void separatorsSplitCommandsAndPipesAreMarked() {
        ShellScript s = ShellTokenizer.parse("a 1 && b 2 || c; d | e & f\ng");
        assertThat(s.commands().stream().map(c -> c.words().get(0)).toList()).containsExactly("a", "b", "c", "d", "e", "f", "g");
        assertThat(s.commands().stream().map(Command::pipedIn).toList())
                .containsExactly(false, false, false, false, true, false, false);
    }

    @Test
    void redirectionsAreDroppedIncludingFileDescriptors() {
        assertThat(words("rm -rf dir >/dev/null 2>&1 &>> log < in"))
                .containsExactly(List.of("rm", "-rf", "dir"));
    }

    @Test
    void hereDocumentsAndHereStringsBecomeStdin() {
        ShellScript s = ShellTokenizer.parse("psql app <<-'SQL' | tee out\n\tDROP TABLE x;\n\tSQL\necho done");
        assertThat(s.commands()).hasSize(3);
        assertThat(s.commands().get(0).words()).containsExactly("psql", "app");
        assertThat(s.commands().get(0).stdin()).isEqualTo("\tDROP TABLE x;\n");
        assertThat(s.commands().get(2).words()).containsExactly("echo", "done");
        assertThat(ShellTokenizer.parse("mysql <<< \"TRUNCATE t\"").commands().get(0).stdin()).isEqualTo("TRUNCATE t\n");
    }

    @Test
    void commandSubstitutionsAreCollected() {
        ShellScript s = ShellTokenizer.parse("echo \"$(rm -rf /a)\" `dropdb b` $(ls $(pwd))");
        // Nested ones ($(pwd)) are found when the outer substitution is itself classified.
        assertThat(s.substitutions()).containsExactly("rm -rf /a", "dropdb b", "ls $(pwd)");
        assertThat(RulesActionClassifier.defaults().classifyShell("echo $(ls $(dropdb x))").destructive()).isTrue();
    }

    @Test
    void commentsAndLineContinuationsAreHandled() {
        assertThat(words("terraform \\\n  destroy # not: rm -rf /")).containsExactly(List.of("terraform", "destroy"));
        assertThat(words("echo a#b")).containsExactly(List.of("echo", "a#b"));
    }

    @Test
    void unbalancedQuotesDoNotFail() {
        assertThat(words("echo 'unterminated")).containsExactly(List.of("echo", "unterminated"));
    }
}
