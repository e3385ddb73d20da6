package dev.firebreak.launcher.bench;

import dev.firebreak.launcher.Lifecycle;
import dev.firebreak.launcher.StackOptions;
import dev.firebreak.launcher.demo.Timeline;
import dev.firebreak.launcher.metrics.MetricsServer;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import java.time.Duration;

/**
 * The embedded stack with the whole pipeline on it, as {@code local} runs them: what the capture
 * benches measure against. Everything is owned by the caller's {@link Lifecycle}.
 */
record PipelineRig(LocalStack stack, PipelineSettings settings, Pipeline pipeline) {

    static PipelineRig start(Lifecycle lifecycle, StackOptions options, Timeline progress) {
        LocalStack stack = lifecycle.own(LocalStack.start(options.brokers(), options.kafkaAuth(), m -> progress.event("stack", m)));
        MetricsServer metrics = lifecycle.own(new MetricsServer("127.0.0.1", options.metricsPort()));
        PipelineSettings settings = options.settings(stack);
        Pipeline pipeline = lifecycle.own(Pipeline.start(settings, metrics.registry(), m -> progress.event("pipeline", m)));
        return new PipelineRig(stack, settings, pipeline);
    }

    /**
     * A consumer of the audit events and alerts topics in this JVM, owned by the caller. It reads
     * every event, so a bench that measures this JVM's CPU closes it before.
     */
    EventTap joinTap() {
        return EventTap.join(stack.observerClientProperties(), stack.registryUrl(), Duration.ofSeconds(30));
    }
}
