package dev.firebreak.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Stopping the servers this module runs as child processes, and removing their scratch directories. */
final class ChildProcesses {
    private ChildProcesses() {
    }

    /**
     * Stops the process (SIGTERM, then SIGKILL after 10 s) and removes its shutdown hook, which is
     * only there to reap it when the JVM exits first.
     */
    static void stop(Process process, Thread reaper) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // JVM already shutting down: the hook runs anyway
        }
    }

    /** Deletes a directory tree; a leftover temp directory is not worth failing a shutdown for. */
    static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // already gone, or not ours to delete
        }
    }
}
