package dev.firebreak.ingest.pglog;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the server-log follower when a watched directory changes (inotify on Linux, through the
 * JDK's {@link WatchService}) instead of every few milliseconds: idle, the follower then costs
 * nothing, and a new line is read as soon as PostgreSQL writes it. A notice only says "look
 * again"; the follower still reads sizes itself, so a lost or coalesced notice costs at most
 * {@code fallback}, the longest wait, which also covers file systems that send none.
 */
final class ChangeNotices implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeNotices.class);

    private final WatchService service;
    private final Set<Path> watched = new HashSet<>();

    private ChangeNotices(WatchService service) {
        this.service = service;
    }

    /** Notices from the default file system; without them (none offered) {@link #await} only waits. */
    static ChangeNotices open() {
        try {
            return new ChangeNotices(FileSystems.getDefault().newWatchService());
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("no file change notices here ({}); the server log is read every poll.interval.ms", e.toString());
            return new ChangeNotices(null);
        }
    }

    /** Also wakes on changes to entries of {@code directory}; once per directory, later calls are free. */
    void watch(Path directory) {
        if (service == null || directory == null || !watched.add(directory)) {
            return;
        }
        try {
            directory.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("no change notices for {} ({}); it is read every poll.interval.ms", directory, e.toString());
        }
    }

    /**
     * Returns once a watched directory changed since the last call, or after {@code fallback}.
     * Notices that arrived meanwhile are consumed, so the next call waits for a new one.
     */
    void await(Duration fallback) throws InterruptedException {
        if (service == null) {
            Thread.sleep(fallback.toMillis());
            return;
        }
        try {
            WatchKey key = service.poll(fallback.toMillis(), TimeUnit.MILLISECONDS);
            while (key != null) {
                key.pollEvents();
                key.reset();
                key = service.poll();
            }
        } catch (ClosedWatchServiceException e) {
            Thread.sleep(fallback.toMillis());
        }
    }

    @Override
    public void close() {
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                LOG.debug("closing the change notices", e);
            }
        }
    }
}
