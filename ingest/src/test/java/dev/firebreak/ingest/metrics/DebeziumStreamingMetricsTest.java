package dev.firebreak.ingest.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.junit.jupiter.api.Test;

class DebeziumStreamingMetricsTest {

    /** The attributes read, as Debezium's streaming MBean exposes them. */
    public interface StreamingMXBean {
        long getMilliSecondsBehindSource();

        boolean isConnected();

        long getTotalNumberOfEventsSeen();

        int getQueueRemainingCapacity();
    }

    @Test
    void anMBeanRegisteredAfterBindingBecomesGaugesAndGoesAwayWithIt() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("debezium.postgres:type=connector-metrics,context=streaming,server=binder_test");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (DebeziumStreamingMetrics metrics = new DebeziumStreamingMetrics(server)) {
            metrics.bindTo(meters);
            assertThat(meters.find("debezium.streaming.connected").tag("server", "binder_test").gauge()).isNull();

            server.registerMBean(new StandardMBean(new StreamingMXBean() {
                public long getMilliSecondsBehindSource() {
                    return 42;
                }

                public boolean isConnected() {
                    return true;
                }

                public long getTotalNumberOfEventsSeen() {
                    return 7;
                }

                public int getQueueRemainingCapacity() {
                    return 8192;
                }
            }, StreamingMXBean.class), name);
            try {
                assertThat(meters.get("debezium.streaming.milliseconds.behind.source").tag("server", "binder_test")
                        .gauge().value()).isEqualTo(42.0);
                assertThat(meters.get("debezium.streaming.connected").tag("server", "binder_test").gauge().value()).isEqualTo(1.0);
                assertThat(meters.get("debezium.streaming.total.number.of.events.seen").tag("server", "binder_test")
                        .gauge().value()).isEqualTo(7.0);
                assertThat(meters.get("debezium.streaming.queue.remaining.capacity").tag("server", "binder_test")
                        .gauge().value()).isEqualTo(8192.0);
            } finally {
                server.unregisterMBean(name);
            }
            assertThat(meters.find("debezium.streaming.connected").tag("server", "binder_test").gauge()).isNull();
        }
    }
}
