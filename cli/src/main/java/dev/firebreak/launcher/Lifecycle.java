package dev.firebreak.launcher;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes what a command started, newest first, exactly once: at the end of the command or, on
 * Ctrl-C, from the shutdown hook, so child processes (the registry) and PostgreSQL never outlive us.
 */
public final class Lifecycle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final Thread hook = new Thread(this::closeAll, "firebreak-shutdown");
    private boolean closed;

    public Lifecycle() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Registers {@code resource} for closing and returns it. */
    public synchronized <T extends AutoCloseable> T own(T resource) {
        if (closed) {
            closeQuietly(resource);
            throw new IllegalStateException("shutting down");
        }
        started.push(resource);
        return resource;
    }

    private synchronized void closeAll() {
        closed = true;
        while (!started.isEmpty()) {
            closeQuietly(started.pop());
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            LOG.warn("{} did not close cleanly: {}", resource.getClass().getSimpleName(), e.toString());
        }
    }

    @Override
    public void close() {
        closeAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook is running or has run
        }
    }
}
