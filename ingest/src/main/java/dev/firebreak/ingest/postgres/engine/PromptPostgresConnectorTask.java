package dev.firebreak.ingest.postgres.engine;

import io.debezium.config.Configuration;
import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.connector.postgresql.PostgresConnectorTask;
import io.debezium.connector.postgresql.PostgresOffsetContext;
import io.debezium.connector.postgresql.PostgresPartition;
import io.debezium.pipeline.ChangeEventSourceCoordinator;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

/**
 * Debezium's PostgreSQL task, polled so that a lone change reaches the engine at once and an idle
 * pipeline costs nearly nothing.
 *
 * <p>Why: Debezium's queue returns a batch only when it is full or when {@code poll.interval.ms} has
 * passed, so a lone audit message waits the whole interval, and the interval is also how long the
 * replication reader sleeps when the stream is idle. Ingest needs it at 1 ms for a DROP to reach
 * Kafka in a few milliseconds, and at 1 ms the queue's wait never sleeps: it rounds the time left
 * down to whole milliseconds, gets 0, and spins. Measured idle, that one thread took a third to
 * half of a core, more than the rest of the pipeline together.
 *
 * <p>How: ingest sets Debezium's {@code max.batch.size} to 1, so the queue wakes its reader on every
 * change. This task waits on the queue's own condition for up to {@link #IDLE_WAIT_MS} while the
 * queue is empty, then takes everything queued, up to {@link #MAX_BATCH_MS batch size}, in one batch:
 * the engine and Kafka still see batches under load. The queue's lock and condition are private to
 * Debezium, so they are reached by reflection; if a Debezium upgrade renames them, the task logs a
 * warning and polls the stock way (correct, only costlier), and {@code PromptPostgresConnectorTaskTest}
 * fails the build.
 */
public class PromptPostgresConnectorTask extends PostgresConnectorTask {

    /**
     * How long one poll sleeps while nothing is queued. It bounds only how late the engine notices a
     * shutdown or a requested offset flush, never a change: a change ends the wait.
     */
    static final long IDLE_WAIT_MS = 250;
    /** The most changes handed to the engine in one batch (Debezium's own default). */
    static final int MAX_BATCH = 2048;

    private static final Logger LOG = LoggerFactory.getLogger(PromptPostgresConnectorTask.class);

    private volatile QueueSignal signal;

    @Override
    public ChangeEventSourceCoordinator<PostgresPartition, PostgresOffsetContext> start(Configuration config) {
        ChangeEventSourceCoordinator<PostgresPartition, PostgresOffsetContext> coordinator = super.start(config);
        int batchSize = config.getInteger("max.batch.size", MAX_BATCH);
        if (batchSize == 1) {
            signal = QueueSignal.of(this);
        } else {
            // the queue would signal only once that many changes wait: a lone DROP would sit out the idle wait
            LOG.info("max.batch.size={}: Debezium's queue polls the stock way", batchSize);
        }
        return coordinator;
    }

    /** True when polls wait on the queue's condition; false when they fell back to Debezium's own wait. */
    public boolean prompt() {
        return signal != null;
    }

    @Override
    public List<SourceRecord> doPoll() throws InterruptedException {
        QueueSignal s = signal;
        if (s == null) {
            return super.doPoll();
        }
        if (!s.awaitNotEmpty(IDLE_WAIT_MS)) {
            return List.of();
        }
        List<SourceRecord> batch = new ArrayList<>(super.doPoll());
        while (batch.size() < MAX_BATCH && s.notEmpty()) {
            batch.addAll(super.doPoll());
        }
        return batch;
    }

    /** The queue's lock and its "records ready" condition, which Debezium signals on every change. */
    record QueueSignal(ChangeEventQueue<?> queue, Lock lock, Condition ready) {

        static QueueSignal of(PostgresConnectorTask task) {
            try {
                ChangeEventQueue<?> queue = (ChangeEventQueue<?>) field(PostgresConnectorTask.class, "queue").get(task);
                Lock lock = (Lock) field(ChangeEventQueue.class, "lock").get(queue);
                Condition ready = (Condition) field(ChangeEventQueue.class, "isFull").get(queue);
                return new QueueSignal(queue, lock, ready);
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.warn("Debezium's change queue has no field this version of Firebreak knows ({}); polling it the stock"
                        + " way, which spins while idle at poll.interval.ms=1", e.toString());
                return null;
            }
        }

        private static Field field(Class<?> owner, String name) throws NoSuchFieldException {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        }

        boolean notEmpty() {
            return queue.remainingCapacity() < queue.totalCapacity();
        }

        boolean awaitNotEmpty(long waitMs) throws InterruptedException {
            lock.lock();
            try {
                long left = TimeUnit.MILLISECONDS.toNanos(waitMs);
                while (!notEmpty() && left > 0) {
                    left = ready.awaitNanos(left);
                }
                return notEmpty();
            } finally {
                lock.unlock();
            }
        }
    }
}
