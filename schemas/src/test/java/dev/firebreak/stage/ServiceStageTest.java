package dev.firebreak.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ServiceStageTest {
    /** A service whose health the test sets, counting its closes. */
    static final class Service implements AutoCloseable {
        final AtomicReference<Health> health = new AtomicReference<>(Health.up());
        final AtomicInteger closes = new AtomicInteger();

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    static final class Fixture extends ServiceStage<Service> {
        final Service service = new Service();
        Runnable whileOpening = () -> { };

        Fixture() {
            super("fixture service");
        }

        @Override
        public String name() {
            return "fixture";
        }

        @Override
        public List<String> describe() {
            return List.of();
        }

        @Override
        protected Service open(Readiness deadline) {
            whileOpening.run();
            return service;
        }

        @Override
        protected Health healthOf(Service running) {
            return running.health.get();
        }
    }

    @Test
    void startsOnceReportsTheServicesHealthAndClosesItOnce() {
        Fixture stage = new Fixture();
        assertThat(stage.health()).isEqualTo(Health.starting("not started"));
        stage.start(Duration.ofSeconds(5));
        assertThat(stage.health()).isEqualTo(Health.up());
        assertThatThrownBy(() -> stage.start(Duration.ofSeconds(5))).hasMessage("the fixture stage starts once");
        stage.close();
        stage.close();
        assertThat(stage.service.closes).hasValue(1);
    }

    @Test
    void aServiceThatDiesWhileStartingFailsTheStartAndIsClosed() {
        Fixture stage = new Fixture();
        stage.service.health.set(Health.failed("broker gone"));
        assertThatThrownBy(() -> stage.start(Duration.ofSeconds(5))).hasMessageContaining("broker gone");
        assertThat(stage.service.closes).hasValue(1);
    }

    @Test
    void aCloseThatRacesTheStartStopsTheServiceItWasBuilding() {
        Fixture stage = new Fixture();
        stage.whileOpening = stage::close;
        assertThatThrownBy(() -> stage.start(Duration.ofSeconds(5))).hasMessage("fixture service closed while starting");
        assertThat(stage.service.closes).hasValue(1);
    }
}
