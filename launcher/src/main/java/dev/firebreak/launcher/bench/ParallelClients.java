package dev.firebreak.launcher.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

/** Runs several client loops at once from a common start and counts the operations they completed. */
final class ParallelClients {
    private ParallelClients() {
    }

    /** One client loop; it adds each completed operation to {@code done} and stops at the deadline. */
    @FunctionalInterface
    interface Client {
        void run(int index, LongAdder done) throws Exception;
    }

    /**
     * What the clients did together.
     *
     * @param firstError the first client failure, or null
     */
    record Run(long completed, long startNanos, long endNanos, String firstError) {
        double seconds() {
            return (endNanos - startNanos) / 1e9;
        }
    }

    static Run run(int clients, String threadName, Client client) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(clients, r -> new Thread(r, threadName));
        try {
            LongAdder done = new LongAdder();
            CountDownLatch ready = new CountDownLatch(clients);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int index = i;
                running.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    client.run(index, done);
                    return null;
                }));
            }
            ready.await();
            long startNanos = System.nanoTime();
            start.countDown();
            String firstError = null;
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    firstError = firstError != null ? firstError : e.getCause().toString();
                }
            }
            return new Run(done.sum(), startNanos, System.nanoTime(), firstError);
        } finally {
            pool.shutdownNow();
        }
    }
}
