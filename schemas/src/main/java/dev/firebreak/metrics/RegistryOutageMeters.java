package dev.firebreak.metrics;

import dev.firebreak.schema.registry.RegistryOutage;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A stage's schema registry outage as metrics: {@value #UNAVAILABLE}{stage} is 1 while the stage
 * waits for an unavailable registry, {@value #RETRIES}{stage} counts the failed attempts.
 */
public final class RegistryOutageMeters {
    public static final String UNAVAILABLE = "firebreak.registry.unavailable";
    public static final String RETRIES = "firebreak.registry.retries";

    private RegistryOutageMeters() {
    }

    public static void bind(MeterRegistry meters, String stage, RegistryOutage outage) {
        Gauge.builder(UNAVAILABLE, outage, o -> o.unavailable() ? 1 : 0).tag("stage", stage)
                .description("1 while the stage waits for an unavailable schema registry (records wait, none is dropped)")
                .register(meters);
        FunctionCounter.builder(RETRIES, outage, RegistryOutage::retries).tag("stage", stage)
                .description("Schema registry calls that failed because the registry was unavailable, each retried")
                .register(meters);
    }
}
