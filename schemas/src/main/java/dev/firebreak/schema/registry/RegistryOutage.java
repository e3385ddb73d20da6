package dev.firebreak.schema.registry;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stage's view of a schema registry outage: the back-off between retries, a WARN while the
 * registry is unreachable (at the first failure, then at most every {@value #WARN_EVERY_MS} ms), an
 * INFO when it answers again, and the numbers a stage exports as metrics ({@link #unavailable()},
 * {@link #retries()}). Thread safe.
 *
 * <p>Back-off doubles from {@value #FIRST_DELAY_MS} ms to {@value #MAX_DELAY_MS} ms and never gives
 * up on its own: the stage keeps retrying for as long as it runs. Each attempt is bounded by the
 * registry client's HTTP timeout.
 */
public final class RegistryOutage {
    public static final long FIRST_DELAY_MS = 100;
    public static final long MAX_DELAY_MS = 5_000;
    static final long WARN_EVERY_MS = 30_000;
    private static final Logger LOG = LoggerFactory.getLogger(RegistryOutage.class);

    private final String stage;
    private final AtomicLong retries = new AtomicLong();
    private long delayMs;
    private volatile long sinceMs = -1;
    private volatile boolean stopped;
    private long lastWarnMs;
    private long failures;

    /** @param stage who is waiting, for the log ("kill switch", "detection", ...) */
    public RegistryOutage(String stage) {
        this.stage = stage;
    }

    /**
     * Records a failed attempt and returns how long to wait before the next one. Logs at WARN
     * (throttled) what is waiting and why.
     *
     * @param what    what the attempt was for, e.g. the record's topic-partition@offset
     * @param failure the failure, for which {@link SchemaRegistryException#isRegistryUnavailable} holds
     */
    public synchronized long failed(String what, Throwable failure) {
        long now = System.currentTimeMillis();
        retries.incrementAndGet();
        failures++;
        if (sinceMs < 0) {
            sinceMs = now;
            delayMs = FIRST_DELAY_MS;
        } else {
            delayMs = Math.min(MAX_DELAY_MS, delayMs * 2);
        }
        if (failures == 1 || now - lastWarnMs >= WARN_EVERY_MS) {
            lastWarnMs = now;
            LOG.warn("{}: schema registry unavailable for {} ms ({} failed attempt(s)); waiting for it, not "
                    + "dead-lettering or skipping {}; next attempt in {} ms: {}", stage, now - sinceMs, failures, what,
                    delayMs, rootMessage(failure));
        }
        return delayMs;
    }

    /** Records a successful registry call (or a record that needed none); ends an outage if one was on. */
    public void succeeded() {
        if (sinceMs < 0) {
            return; // the per-record path: no lock while all is well
        }
        synchronized (this) {
            if (sinceMs >= 0) {
                LOG.info("{}: schema registry answers again after {} ms and {} failed attempt(s)", stage,
                        System.currentTimeMillis() - sinceMs, failures);
                sinceMs = -1;
                failures = 0;
            }
        }
    }

    /**
     * Waits {@code millis} before the next attempt, or less if {@link #stop()} is called meanwhile.
     *
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public synchronized void await(long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        long left = millis;
        while (!stopped && left > 0) {
            wait(left);
            left = end - System.currentTimeMillis();
        }
    }

    /** Ends every wait in {@link #await}: the stage is stopping, retries give up and rethrow. */
    public synchronized void stop() {
        stopped = true;
        notifyAll();
    }

    /** Whether {@link #stop()} was called. */
    public boolean stopped() {
        return stopped;
    }

    /** Whether the last registry call of this stage failed because the registry was unavailable. */
    public boolean unavailable() {
        return sinceMs >= 0;
    }

    /** Failed attempts since start, for a counter. */
    public long retries() {
        return retries.get();
    }

    @Override
    public String toString() {
        return "RegistryOutage[" + stage + (unavailable() ? ", unavailable" : "") + "]";
    }

    private static String rootMessage(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryException) {
                return t.getMessage();
            }
        }
        return String.valueOf(failure);
    }
}
