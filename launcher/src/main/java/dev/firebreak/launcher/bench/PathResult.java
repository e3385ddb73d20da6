package dev.firebreak.launcher.bench;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The counted samples of one path.
 *
 * @param planned    samples planned after the warm-up
 * @param missed     samples whose event did not arrive within the sample timeout
 * @param failed     samples whose client action failed (the event is not awaited then)
 * @param firstError the first failure or miss, for the report; null when there was none
 */
record PathResult(CapturePath path, int planned, List<Sample> samples, int missed, int failed,
                  String firstError) {

    /**
     * One sample, in milliseconds.
     *
     * @param endToEndMs         client action started to the event consumed in this JVM (monotonic clock)
     * @param eventToCaptureMs   the event's {@code captured_time_us - event_time_us}
     * @param captureToConsumeMs the event's {@code captured_time_us} to consumed here (wall clock)
     */
    record Sample(double endToEndMs, double eventToCaptureMs, double captureToConsumeMs) {
    }

    Percentiles endToEnd() {
        return of(Sample::endToEndMs);
    }

    Percentiles eventToCapture() {
        return of(Sample::eventToCaptureMs);
    }

    Percentiles captureToConsume() {
        return of(Sample::captureToConsumeMs);
    }

    /** Whether the run stopped before every planned sample was taken (the global timeout). */
    boolean cut() {
        return samples.size() + missed + failed < planned;
    }

    private Percentiles of(ToDoubleFunction<Sample> field) {
        return Percentiles.of(samples.stream().mapToDouble(field).boxed().toList());
    }
}
