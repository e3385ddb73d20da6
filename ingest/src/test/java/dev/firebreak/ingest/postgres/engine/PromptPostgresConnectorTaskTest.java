package dev.firebreak.ingest.postgres.engine;

import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.connector.postgresql.PostgresConnectorTask;
import io.debezium.pipeline.DataChangeEvent;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The task against Debezium's real change queue: the private fields it reaches still exist (a
 * Debezium upgrade that renames them fails here, not silently in production), a change wakes an
 * idle poll at once, and everything queued leaves in one batch.
 */
class PromptPostgresConnectorTaskTest {

    @Test
    void theConnectorRunsThePromptTask() {
        assertThat(new PromptPostgresConnector().taskClass()).isEqualTo(PromptPostgresConnectorTask.class);
    }

    @Test
    void debeziumsQueueStillHasTheLockAndConditionTheTaskWaitsOn() throws Exception {
        PromptPostgresConnectorTask task = taskWith(queue(Duration.ofMillis(1)));

        assertThat(PromptPostgresConnectorTask.QueueSignal.of(task)).isNotNull();
    }

    @Test
    void anIdlePollSleepsInsteadOfSpinningAndReturnsNothing() throws Exception {
        PromptPostgresConnectorTask task = prompt(queue(Duration.ofMillis(1)));

        long start = System.nanoTime();
        List<SourceRecord> batch = task.doPoll();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(batch).isEmpty();
        // the stock queue returns after poll.interval.ms (1 ms); this one sleeps its idle wait
        assertThat(tookMs).isGreaterThanOrEqualTo(PromptPostgresConnectorTask.IDLE_WAIT_MS - 5);
    }

    @Test
    void aChangeEndsTheIdleWaitAtOnce() throws Exception {
        ChangeEventQueue<DataChangeEvent> queue = queue(Duration.ofMillis(1));
        PromptPostgresConnectorTask task = prompt(queue);

        CompletableFuture<List<SourceRecord>> polled = CompletableFuture.supplyAsync(() -> {
            try {
                return task.doPoll();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        long enqueued = System.nanoTime();
        queue.enqueue(change(1));
        List<SourceRecord> batch = polled.get(5, TimeUnit.SECONDS);
        long wokeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - enqueued);

        assertThat(batch).hasSize(1);
        assertThat(wokeMs).isLessThan(PromptPostgresConnectorTask.IDLE_WAIT_MS);
    }

    @Test
    void everythingQueuedLeavesInOneBatch() throws Exception {
        ChangeEventQueue<DataChangeEvent> queue = queue(Duration.ofMillis(1));
        PromptPostgresConnectorTask task = prompt(queue);
        for (int i = 0; i < 100; i++) {
            queue.enqueue(change(i));
        }

        List<SourceRecord> batch = task.doPoll();

        assertThat(batch).extracting(SourceRecord::value).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, 100).boxed().toList());
        assertThat(queue.remainingCapacity()).isEqualTo(queue.totalCapacity());
    }

    private static ChangeEventQueue<DataChangeEvent> queue(Duration pollInterval) {
        return new ChangeEventQueue.Builder<DataChangeEvent>()
                .pollInterval(pollInterval)
                .maxBatchSize(1)
                .maxQueueSize(8192)
                .loggingContextSupplier(() -> io.debezium.util.LoggingContext.forConnector("postgres", "test", "queue"))
                .build();
    }

    private static PromptPostgresConnectorTask prompt(ChangeEventQueue<DataChangeEvent> queue) throws Exception {
        PromptPostgresConnectorTask task = taskWith(queue);
        Field signal = PromptPostgresConnectorTask.class.getDeclaredField("signal");
        signal.setAccessible(true);
        signal.set(task, PromptPostgresConnectorTask.QueueSignal.of(task));
        assertThat(task.prompt()).isTrue();
        return task;
    }

    private static PromptPostgresConnectorTask taskWith(ChangeEventQueue<DataChangeEvent> queue) throws Exception {
        PromptPostgresConnectorTask task = new PromptPostgresConnectorTask();
        Field f = PostgresConnectorTask.class.getDeclaredField("queue");
        f.setAccessible(true);
        f.set(task, queue);
        return task;
    }

    private static DataChangeEvent change(int n) {
        return new DataChangeEvent(new SourceRecord(Map.of(), Map.of(), "t", Schema.INT32_SCHEMA, n));
    }
}
