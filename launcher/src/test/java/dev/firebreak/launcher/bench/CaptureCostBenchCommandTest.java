package dev.firebreak.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The order-balanced and paired ratios of capture-cost-bench: pure arithmetic over the rounds. */
class CaptureCostBenchCommandTest {

    @Test
    void eachOrderWeighsAlikeHoweverManyRoundsItHad() {
        // three rounds with the watched database first, two with it second: the median (1.04) leans
        // to the order with more rounds; the balanced ratio weighs the two orders' means alike
        boolean[] watchedFirst = {true, false, true, false, true};
        double[] ratios = {1.04, 0.86, 1.02, 0.94, 1.04};
        double watchedFirstMean = Math.cbrt(1.04 * 1.02 * 1.04);
        double unwatchedFirstMean = Math.sqrt(0.86 * 0.94);
        assertThat(CaptureCostBenchCommand.orderBalanced(watchedFirst, ratios))
                .isCloseTo(Math.sqrt(watchedFirstMean * unwatchedFirstMean), within(1e-12))
                .isLessThan(1.0);
    }

    @Test
    void anOrderEffectAloneCancelsOut() {
        // no cost at all, but the run that goes second is 10% slower
        boolean[] watchedFirst = {true, false, true, false};
        double[] ratios = {1.1, 1 / 1.1, 1.1, 1 / 1.1};
        assertThat(CaptureCostBenchCommand.orderBalanced(watchedFirst, ratios)).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void undefinedUnlessBothOrdersRanWithPositiveRatios() {
        assertThat(CaptureCostBenchCommand.orderBalanced(new boolean[] {true, true}, new double[] {0.9, 1.0})).isNaN();
        assertThat(CaptureCostBenchCommand.orderBalanced(new boolean[] {true, false}, new double[] {0.9, Double.NaN})).isNaN();
        assertThat(CaptureCostBenchCommand.orderBalanced(new boolean[] {true, false}, new double[] {0.9, 0})).isNaN();
        assertThat(CaptureCostBenchCommand.orderBalanced(new boolean[0], new double[0])).isNaN();
    }

    @Test
    void pairedRatiosAverageGeometricallySoThatInverseRatiosCancel() {
        List<Double> ratios = List.of(0.8, 1.25, 1.0);
        assertThat(CaptureCostBenchCommand.geometricMean(ratios, Double::doubleValue)).isCloseTo(1.0, within(1e-12));
        assertThat(CaptureCostBenchCommand.median(ratios, Double::doubleValue)).isEqualTo(1.0);
        assertThat(CaptureCostBenchCommand.geometricMean(List.of(0.9, 0.96), Double::doubleValue))
                .isCloseTo(Math.sqrt(0.9 * 0.96), within(1e-12));
        assertThat(CaptureCostBenchCommand.median(List.of(0.9, 0.96), Double::doubleValue)).isCloseTo(0.93, within(1e-12));
    }

    @Test
    void theJvmSplitsIntoPipelineBrokerAndGcJitMediansOverTheRuns() {
        // 10 s runs: CPU seconds of the JVM, of the broker's threads, of the bench's thread, of all live threads
        List<JvmCpu.Usage> runs = List.of(
                new JvmCpu.Usage(2.0, 10, 0.4, 0.1, 1.5, List.of()),   // pipeline 0.10, broker 0.04, GC+JIT 0.05
                new JvmCpu.Usage(2.6, 10, 0.2, 0.1, 1.6, List.of()),   // pipeline 0.13, broker 0.02, GC+JIT 0.10
                new JvmCpu.Usage(1.0, 10, 0.3, 0.0, 1.2, List.of()));  // pipeline 0.09, broker 0.03, GC+JIT 0 (threads that ended)
        assertThat(CaptureCostBenchCommand.jvmSplit(runs)).isEqualTo("pipeline 0.100, broker 0.030, GC+JIT 0.050");
        assertThat(CaptureCostBenchCommand.jvmSplit(List.of())).isEqualTo("pipeline -, broker -, GC+JIT -");
    }

    @Test
    void aPairedRoundWithoutFiguresLeavesTheMeanUndefined() {
        assertThat(CaptureCostBenchCommand.geometricMean(List.of(0.9, Double.NaN), Double::doubleValue)).isNaN();
        assertThat(CaptureCostBenchCommand.geometricMean(List.of(0.9, 0.0), Double::doubleValue)).isNaN();
        assertThat(CaptureCostBenchCommand.geometricMean(List.<Double>of(), Double::doubleValue)).isNaN();
        assertThat(CaptureCostBenchCommand.median(List.<Double>of(), Double::doubleValue)).isNaN();
    }
}
