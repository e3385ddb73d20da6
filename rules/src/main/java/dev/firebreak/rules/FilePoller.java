package dev.firebreak.rules;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls a rules file or folder and runs a callback once an edit has settled. Polling, not a
 * file-system watch service: it works the same on bind mounts, network volumes and Kubernetes
 * ConfigMaps (whose files are swapped by a symlink), where change events are unreliable.
 *
 * <p>An edit counts once the files look the same on two polls in a row, so a file caught half
 * written (an editor or {@code kubectl cp} still writing) is never loaded.
 */
public final class FilePoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FilePoller.class);

    private final Path path;
    private final Duration interval;
    private final Runnable onChange;
    private final Thread thread;
    private volatile boolean running = true;
    private List<String> loaded;

    /**
     * @param path     a file, or a folder whose regular files are watched
     * @param interval time between polls
     * @param onChange runs on the poller's thread after each settled edit; its exceptions are logged
     * @param name     the thread's name, for thread dumps
     */
    public FilePoller(Path path, Duration interval, Runnable onChange, String name) {
        this.path = path;
        this.interval = interval;
        this.onChange = onChange;
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
    }

    /** Starts polling; the files as they are now, on the caller's thread, count as already loaded. */
    public FilePoller start() {
        loaded = fingerprint(); // here, not on the thread: an edit right after start() must not be missed
        thread.start();
        return this;
    }

    private void loop() {
        List<String> previous = loaded;
        while (running) {
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            List<String> now = fingerprint();
            if (now.equals(previous) && !now.equals(loaded)) {
                loaded = now;
                try {
                    onChange.run();
                } catch (RuntimeException e) {
                    LOG.error("reloading rules from {} failed; the rules in force stay in force", path, e);
                }
            }
            previous = now;
        }
    }

    // Name, size and modification time of every file: enough to notice an edit, cheap to poll.
    private List<String> fingerprint() {
        List<String> marks = new ArrayList<>();
        try (Stream<Path> files = Files.isDirectory(path) ? Files.list(path) : Stream.of(path)) {
            files.filter(Files::isRegularFile).sorted().forEach(f -> {
                try {
                    marks.add(f + ":" + Files.size(f) + ":" + Files.getLastModifiedTime(f).toMillis());
                } catch (IOException e) {
                    marks.add(f + ":unreadable");
                }
            });
        } catch (IOException e) {
            marks.add(path + ":unlistable");
        }
        return marks;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
