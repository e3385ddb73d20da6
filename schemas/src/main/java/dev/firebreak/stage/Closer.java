package dev.firebreak.stage;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts a stage started, closed newest first and once: a part that fails to close is logged
 * and the others still close, so a stage's {@link Stage#close()} never throws and never leaks.
 */
public final class Closer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Closer.class);
    private final Deque<AutoCloseable> parts = new ArrayDeque<>();

    /** Registers {@code part} for closing and returns it; a null part is ignored. */
    public synchronized <T extends AutoCloseable> T own(T part) {
        if (part != null) {
            parts.push(part);
        }
        return part;
    }

    /** Closes every part, newest first; a second call closes nothing. */
    @Override
    public void close() {
        while (true) {
            AutoCloseable next;
            synchronized (this) {
                next = parts.poll();
            }
            if (next == null) {
                return;
            }
            try {
                next.close();
            } catch (Exception e) {
                LOG.warn("{} did not close cleanly", next.getClass().getSimpleName(), e);
            }
        }
    }
}
