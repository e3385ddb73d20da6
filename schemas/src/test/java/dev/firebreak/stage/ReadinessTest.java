package dev.firebreak.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReadinessTest {

    @Test
    void returnsOnceTheHealthTurnsReady() {
        AtomicInteger polls = new AtomicInteger();
        Readiness.within(Duration.ofSeconds(10)).await("detection",
                () -> polls.incrementAndGet() < 3 ? Health.starting("REBALANCING") : Health.up());
        assertThat(polls).hasValue(3);
    }

    @Test
    void failsFastWhenTheStageIsNoLongerLive() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Readiness.within(Duration.ofMinutes(5)).await("detection", () -> Health.failed("ERROR")))
                .isInstanceOf(IllegalStateException.class).hasMessage("detection failed to start: ERROR");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void failsAtTheDeadlineSayingWhatItWaitedFor() {
        assertThatThrownBy(() -> Readiness.within(Duration.ofMillis(120)).await("capture", () -> Health.starting("slot not streaming")))
                .isInstanceOf(IllegalStateException.class).hasMessage("capture not ready after PT0.12S: slot not streaming");
    }

    @Test
    void remainingShrinksAndIsCappedButNeverNegative() {
        Readiness readiness = Readiness.within(Duration.ofMinutes(2));
        assertThat(readiness.remaining()).isLessThanOrEqualTo(Duration.ofMinutes(2)).isGreaterThan(Duration.ofMinutes(1));
        assertThat(readiness.atMost(Duration.ofSeconds(60))).isEqualTo(Duration.ofSeconds(60));
        assertThat(Readiness.within(Duration.ZERO).remaining()).isEqualTo(Duration.ZERO);
    }

    @Test
    void anUnboundedWaitDoesNotOverflow() {
        Readiness forever = Readiness.within(Duration.ofDays(1_000_000));
        assertThat(forever.timeout()).isEqualTo(Readiness.UNBOUNDED);
        assertThat(forever.remaining()).isGreaterThan(Duration.ofDays(36_000));
    }

    @Test
    void aNegativeDeadlineIsRefused() {
        assertThatThrownBy(() -> Readiness.within(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
    }
}
