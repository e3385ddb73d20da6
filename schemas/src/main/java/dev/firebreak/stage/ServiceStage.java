package dev.firebreak.stage;

import java.time.Duration;

/**
 * A stage that runs one service object (the kill switch's command loop, detection's Kafka Streams,
 * the on-call notifier, the OCSF export): started once, ready when {@link #healthOf} says so within
 * the deadline, closed once, and safe against a close that races the start (a health probe or a
 * shutdown hook may call in at any time).
 *
 * @param <S> the service; closing it stops it
 */
public abstract class ServiceStage<S extends AutoCloseable> implements Stage {
    private final String label;
    private S service;
    private boolean started;
    private boolean closed;

    /** @param label what the service is called in messages, e.g. "on-call notifier" */
    protected ServiceStage(String label) {
        this.label = label;
    }

    /**
     * Builds and starts the service, within {@code deadline}. Runs outside the stage's lock, so that
     * opening connections does not hold up a health probe.
     */
    protected abstract S open(Readiness deadline);

    /** The health of the running service. */
    protected abstract Health healthOf(S running);

    @Override
    public final void start(Duration readiness) {
        Readiness deadline = Readiness.within(readiness);
        synchronized (this) {
            if (started || closed) {
                throw new IllegalStateException("the " + name() + " stage starts once");
            }
            started = true;
        }
        try {
            S built = open(deadline);
            boolean closedMeanwhile;
            synchronized (this) {
                service = built;
                closedMeanwhile = closed;
            }
            if (closedMeanwhile) {
                stop(built);
                throw new IllegalStateException(label + " closed while starting");
            }
            deadline.await(label, this::health);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public final synchronized Health health() {
        return service == null ? Health.starting("not started") : healthOf(service);
    }

    @Override
    public final void close() {
        S running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = service;
        }
        if (running != null) {
            stop(running);
        }
    }

    /**
     * The health of a service that runs one consumer loop: up while it runs, failed once it has
     * stopped for good, starting before its first poll.
     */
    protected static Health loopHealth(boolean running, boolean stopped, String stoppedDetail) {
        if (running) {
            return Health.up();
        }
        return stopped ? Health.failed(stoppedDetail) : Health.starting("starting");
    }

    /** Whether {@link #close} has been called; {@link #open} may check it between slow steps. */
    protected final synchronized boolean closed() {
        return closed;
    }

    private static void stop(AutoCloseable service) {
        try (Closer once = new Closer()) {
            once.own(service);
        }
    }
}
