package dev.firebreak.stage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * Stages started one after another, each ready before the next starts, and closed in the reverse
 * order. Order them downstream first, so nothing produced waits for its consumer. A stage that
 * fails to start closes every stage started before it, and the failure is thrown.
 */
public final class StageGroup implements AutoCloseable {
    private final List<Stage> stages;
    private final Closer started = new Closer();

    private StageGroup(List<Stage> stages) {
        this.stages = List.copyOf(stages);
    }

    /**
     * Starts {@code stages} in order, each within {@code readiness}, and hands each started stage's
     * {@link Stage#describe()} lines to {@code progress}.
     */
    public static StageGroup start(List<? extends Stage> stages, Duration readiness, Consumer<String> progress) {
        StageGroup group = new StageGroup(new ArrayList<>(stages));
        try {
            for (Stage stage : group.stages) {
                group.started.own(stage);
                stage.start(readiness);
                stage.describe().forEach(progress);
            }
        } catch (RuntimeException e) {
            group.close();
            throw e;
        }
        return group;
    }

    /** The stages, in start order. */
    public List<Stage> stages() {
        return Collections.unmodifiableList(stages);
    }

    /** Live when every stage is, ready when every stage is. */
    public Health health() {
        return Health.of(stages);
    }

    /** Closes the stages newest first; idempotent. */
    @Override
    public void close() {
        started.close();
    }
}
