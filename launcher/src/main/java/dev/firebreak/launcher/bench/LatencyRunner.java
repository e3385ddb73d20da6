package dev.firebreak.launcher.bench;

import dev.firebreak.launcher.bench.CapturePath.Probe;
import dev.firebreak.launcher.bench.PathResult.Sample;
import dev.firebreak.schema.AuditEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Takes one path's samples one at a time: each waits for its event before the next starts. */
final class LatencyRunner {
    private final EventTap tap;
    private final Deadline deadline;
    private final Duration sampleTimeout;

    LatencyRunner(EventTap tap, Deadline deadline, Duration sampleTimeout) {
        this.tap = tap;
        this.deadline = deadline;
        this.sampleTimeout = sampleTimeout;
    }

    /** Runs {@code warmup} uncounted samples, then {@code samples} counted ones, until the deadline. */
    PathResult run(CapturePath path, int warmup, int samples) throws InterruptedException {
        List<Sample> kept = new ArrayList<>(samples);
        int missed = 0;
        int failed = 0;
        String firstError = null;
        for (int seq = 0; seq < warmup + samples && !deadline.passed(); seq++) {
            boolean counted = seq >= warmup;
            try {
                Sample sample = sample(path, seq);
                if (counted) {
                    kept.add(sample);
                }
            } catch (TimeoutException e) {
                if (deadline.passed()) {
                    break; // cut by the global timeout, not lost
                }
                missed += counted ? 1 : 0;
                firstError = firstError != null ? firstError : "sample " + seq + ": no event within " + sampleTimeout;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                failed += counted ? 1 : 0;
                firstError = firstError != null ? firstError : "sample " + seq + ": " + e;
            }
        }
        return new PathResult(path, samples, kept, missed, failed, firstError);
    }

    private Sample sample(CapturePath path, int seq) throws Exception {
        Probe probe = path.probes().next(seq);
        CompletableFuture<EventTap.Arrival> arrival = tap.expect(probe.matches());
        long sentNanos = System.nanoTime();
        probe.action().run();
        EventTap.Arrival got;
        try {
            got = arrival.get(deadline.cap(sampleTimeout).toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        AuditEvent event = got.event();
        return new Sample((got.nanos() - sentNanos) / 1e6,
                (event.getCapturedTimeUs() - event.getEventTimeUs()) / 1e3,
                (got.wallMicros() - event.getCapturedTimeUs()) / 1e3);
    }
}
