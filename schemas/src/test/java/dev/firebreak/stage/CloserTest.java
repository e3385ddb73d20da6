package dev.firebreak.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CloserTest {

    @Test
    void closesNewestFirstOnceAndGoesOnPastAPartThatThrows() {
        List<String> closed = new ArrayList<>();
        Closer closer = new Closer();
        closer.own(() -> closed.add("first"));
        closer.own(() -> {
            closed.add("second");
            throw new IllegalStateException("boom");
        });
        closer.own(null);
        closer.own(() -> closed.add("third"));

        closer.close();
        closer.close();

        assertThat(closed).containsExactly("third", "second", "first");
    }
}
