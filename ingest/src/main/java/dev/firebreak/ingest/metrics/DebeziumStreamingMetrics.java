package dev.firebreak.ingest.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.ListenerNotFoundException;
import javax.management.MBeanServer;
import javax.management.MBeanServerDelegate;
import javax.management.MBeanServerNotification;
import javax.management.MalformedObjectNameException;
import javax.management.Notification;
import javax.management.NotificationListener;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the streaming metrics Debezium's PostgreSQL connector publishes over JMX
 * ({@value #PATTERN}) into Micrometer as {@code debezium.streaming.*} gauges tagged with
 * {@code server} (the connector's topic prefix). The MBean exists only once the engine streams, and
 * is replaced when the engine restarts, so gauges follow MBean registrations as they come and go.
 */
public final class DebeziumStreamingMetrics implements MeterBinder, AutoCloseable {
    /** The MBeans read; one per capture engine in this JVM. */
    public static final String PATTERN = "debezium.postgres:type=connector-metrics,context=streaming,server=*";
    private static final Logger LOG = LoggerFactory.getLogger(DebeziumStreamingMetrics.class);
    /** Micrometer name and the MBean attribute behind it. */
    private static final Map<String, String> GAUGES = Map.of(
            "debezium.streaming.milliseconds.behind.source", "MilliSecondsBehindSource",
            "debezium.streaming.connected", "Connected",
            "debezium.streaming.total.number.of.events.seen", "TotalNumberOfEventsSeen",
            "debezium.streaming.queue.remaining.capacity", "QueueRemainingCapacity");

    private final MBeanServer server;
    private final ObjectName pattern;
    private final Map<ObjectName, List<Meter>> bound = new ConcurrentHashMap<>();
    private final NotificationListener listener = this::onNotification;
    private volatile MeterRegistry registry;

    public DebeziumStreamingMetrics() {
        this(ManagementFactory.getPlatformMBeanServer());
    }

    DebeziumStreamingMetrics(MBeanServer server) {
        this.server = server;
        try {
            this.pattern = new ObjectName(PATTERN);
        } catch (MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void bindTo(MeterRegistry meters) {
        this.registry = meters;
        try {
            // Listen first, then look: an MBean registered in between is seen at least once (binding is idempotent).
            server.addNotificationListener(MBeanServerDelegate.DELEGATE_NAME, listener,
                    n -> n instanceof MBeanServerNotification m && pattern.apply(m.getMBeanName()), null);
        } catch (InstanceNotFoundException e) {
            throw new IllegalStateException("the platform MBean server has no delegate", e);
        }
        server.queryNames(pattern, null).forEach(this::bind);
    }

    private void onNotification(Notification notification, Object handback) {
        MBeanServerNotification n = (MBeanServerNotification) notification;
        if (MBeanServerNotification.REGISTRATION_NOTIFICATION.equals(n.getType())) {
            bind(n.getMBeanName());
        } else if (MBeanServerNotification.UNREGISTRATION_NOTIFICATION.equals(n.getType())) {
            unbind(n.getMBeanName());
        }
    }

    private void bind(ObjectName name) {
        MeterRegistry meters = registry;
        if (meters == null) {
            return;
        }
        bound.computeIfAbsent(name, n -> {
            List<Meter> gauges = new ArrayList<>();
            GAUGES.forEach((metric, attribute) -> gauges.add(Gauge.builder(metric, n, o -> read(o, attribute))
                    .tag("server", n.getKeyProperty("server"))
                    .description("Debezium streaming MBean attribute " + attribute)
                    .strongReference(true).register(meters)));
            LOG.info("Debezium streaming metrics of {} bound", n);
            return gauges;
        });
    }

    private void unbind(ObjectName name) {
        List<Meter> gauges = bound.remove(name);
        MeterRegistry meters = registry;
        if (gauges != null && meters != null) {
            gauges.forEach(meters::remove);
        }
    }

    // NaN (absent in Prometheus' eyes) rather than a made-up 0 when the MBean went away mid-scrape.
    private double read(ObjectName name, String attribute) {
        try {
            Object value = server.getAttribute(name, attribute);
            if (value instanceof Boolean b) {
                return b ? 1 : 0;
            }
            return value instanceof Number number ? number.doubleValue() : Double.NaN;
        } catch (JMException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Stops following registrations and removes the gauges. */
    @Override
    public void close() {
        try {
            server.removeNotificationListener(MBeanServerDelegate.DELEGATE_NAME, listener);
        } catch (InstanceNotFoundException | ListenerNotFoundException e) {
            // never bound
        }
        List.copyOf(bound.keySet()).forEach(this::unbind);
    }
}
