package dev.firebreak.launcher.bench;

import dev.firebreak.launcher.demo.Timeline;
import java.time.Duration;

/**
 * What every bench run starts with: its time budget, the progress lines on stderr (stdout is for
 * the figures) and the clock of its total duration, stack start included.
 */
record BenchRun(long startNanos, Deadline deadline, Timeline progress) {

    static BenchRun start(long timeoutSeconds) {
        return new BenchRun(System.nanoTime(), Deadline.after(Duration.ofSeconds(timeoutSeconds)), new Timeline(System.err, false));
    }

    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
