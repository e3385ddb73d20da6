package dev.firebreak.kafka;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.slf4j.Logger;

/**
 * Start and stop of a service that runs one Kafka consumer loop on its own thread (the kill switch,
 * the on-call notifier): started once, stopped by {@link #close} from any thread, which wakes the
 * consumer and waits for the loop to return, and a back-off that {@link #close} cuts short.
 */
public final class ConsumerLoop {
    private static final long STOP_WAIT_SECONDS = 30;

    private final String name;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private boolean started;
    private volatile boolean running = true;

    /** @param name how the service is called in messages, e.g. "kill switch" */
    public ConsumerLoop(String name) {
        this.name = name;
    }

    /** Called first by the loop's thread; a second start, or a start after close, fails. */
    public synchronized void begin() {
        if (started || !running) {
            throw new IllegalStateException(name + " service already started or closed");
        }
        started = true;
    }

    /** Whether the loop should go on. */
    public boolean running() {
        return running;
    }

    /** Asks the loop to end (an interrupt, a fatal error). */
    public void stop() {
        running = false;
    }

    /** Whether the loop was started and has neither ended nor been asked to. */
    public boolean isLive() {
        return running && stopped.getCount() > 0 && started();
    }

    /**
     * Whether the loop ended or was asked to: it will not be live again. False before the loop's
     * thread called {@link #begin}, so a loop just started reads as starting, not as stopped.
     */
    public boolean ended() {
        return !running || stopped.getCount() == 0;
    }

    private synchronized boolean started() {
        return started;
    }

    /** Called last by the loop's thread, after it closed its clients. */
    public void finished() {
        running = false;
        stopped.countDown();
    }

    /** Waits before a retry; returns at once when the service is closed. */
    public void backOff(long millis) {
        try {
            closing.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Ends the loop: wakes {@code consumer} and waits up to 30 s for the loop to return.
     *
     * @return false when the loop never started, so the caller closes the clients the loop would have
     */
    public boolean close(Consumer<?, ?> consumer, Logger log) {
        boolean wasStarted;
        synchronized (this) {
            running = false;
            wasStarted = started;
        }
        closing.countDown();
        if (!wasStarted) {
            return false;
        }
        consumer.wakeup();
        try {
            if (!stopped.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("{} loop did not stop within {} s", name, STOP_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    /** Closes {@code closeable}, logging instead of throwing: shutdown goes on. */
    public static void closeQuietly(AutoCloseable closeable, Logger log) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.warn("closing {} failed", closeable.getClass().getSimpleName(), e);
        }
    }
}
