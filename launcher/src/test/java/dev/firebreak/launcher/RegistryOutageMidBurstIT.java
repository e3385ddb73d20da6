package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.launcher.demo.BurstScenario;
import dev.firebreak.launcher.demo.OutcomeWatcher;
import dev.firebreak.launcher.demo.RogueAgent;
import dev.firebreak.launcher.demo.Timeline;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.metrics.RegistryOutageMeters;
import dev.firebreak.oncall.OnCallConfig;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The schema registry becomes unreachable in the middle of a rogue's burst, for every stage at once
 * (each stage reaches Apicurio through its own cuttable TCP proxy, so each has its own client cache),
 * and comes back a few seconds later while the rogue is still at it. Ingest and the kill switch have
 * not needed the registry yet when it goes, so one of them meets the outage (detection registered
 * every schema at start-up, and a waiting ingest holds the rest of the pipeline back). Nothing is dead-lettered or lost, and the role is locked out once the registry
 * is back.
 */
class RegistryOutageMidBurstIT {
    private static final String CLUSTER = "regoutage";
    private static final int TABLES = 30;
    private static final Duration OUTAGE = Duration.ofSeconds(4);

    @Test
    void theBurstIsCaughtAndNothingIsLostWhenTheRegistryGoesAwayMidBurst() throws Exception {
        String role = "rogue_regoutage";
        try (LocalStack stack = LocalStack.start(1, m -> { })) {
            URI registry = URI.create(stack.registryUrl());
            try (CuttableProxy ingest = CuttableProxy.start(registry.getHost(), registry.getPort());
                 CuttableProxy detection = CuttableProxy.start(registry.getHost(), registry.getPort());
                 CuttableProxy killSwitch = CuttableProxy.start(registry.getHost(), registry.getPort())) {
                // Prepared before capture starts, so its set-up DDL is not captured: the burst's first
                // drop is the first event ingest serialises.
                RogueAgent rogue = new BurstScenario(stack.postgres(), null, CLUSTER,
                        new Timeline(new PrintStream(OutputStream.nullOutputStream()), true)).prepare(role, "vault", TABLES, 10);
                Map<String, String> settings = new HashMap<>(PipelineSettings.stackMap(stack, CLUSTER, List.of()));
                settings.put(IngestConfig.PREFIX + "schema.registry.url", via(ingest, registry));
                settings.put(DetectionConfig.SCHEMA_REGISTRY_URL, via(detection, registry));
                settings.put(KillSwitchConfig.SCHEMA_REGISTRY_URL, via(killSwitch, registry));
                settings.put(OnCallConfig.SCHEMA_REGISTRY_URL, via(killSwitch, registry));
                SimpleMeterRegistry meters = new SimpleMeterRegistry();
                try (Pipeline pipeline = Pipeline.start(PipelineSettings.fromMap(settings), meters, m -> { });
                     OutcomeWatcher watcher = new OutcomeWatcher(stack.observerClientProperties(), stack.registryUrl(),
                             a -> { }, r -> { })) {
                    List<CuttableProxy> proxies = List.of(ingest, detection, killSwitch);
                    ScheduledExecutorService restorer = Executors.newSingleThreadScheduledExecutor();
                    AtomicLong restoredUs = new AtomicLong();
                    RogueAgent.Run run;
                    try {
                        run = rogue.run(RogueAgent.Mode.AUTOCOMMIT, TABLES, 6.0, drop -> {
                            if (drop.ok() && restoredUs.get() == 0) {
                                restoredUs.set(-1);
                                proxies.forEach(CuttableProxy::cut);
                                restorer.schedule(() -> {
                                    restoredUs.set(Micros.now());
                                    proxies.forEach(CuttableProxy::restore);
                                }, OUTAGE.toMillis(), TimeUnit.MILLISECONDS);
                            }
                        });
                        String principal = "pg:" + CLUSTER + "/" + role;
                        RevocationResult result = watcher.awaitResult(principal, Duration.ofSeconds(60)).orElseThrow(
                                () -> new AssertionError("no kill switch result for " + principal + " after the outage"));
                        assertThat(result.getOutcome()).isIn(RevocationOutcome.REVOKED, RevocationOutcome.ALREADY_REVOKED);
                        assertThat(rogue.tryReconnect()).contains("not permitted to log in");
                        assertThat(restoredUs.get()).as("the registry came back before the kill switch could act").isPositive();
                        assertThat(result.getStartedTimeUs()).isGreaterThanOrEqualTo(restoredUs.get());

                        Set<String> gone = CapturedStatements.tablesGone(stack.postgres(), "vault", TABLES);
                        List<AuditEvent> events = CapturedStatements.events(stack.adminClientProperties(),
                                stack.registryUrl(), principal, CapturedStatements.covers(run), Duration.ofSeconds(60));
                        long duplicates = CapturedStatements.assertNothingLost(run, gone, events);
                        assertThat(CapturedStatements.endOffset(stack.adminClientProperties(), Topics.AUDIT_DLQ))
                                .as("dead letters: an outage is waited out, never dead-lettered").isZero();
                        // The outage really was met on the critical path: by ingest, cut before it serialised its
                        // first event (it then holds everything back, so the kill switch sees the registry back),
                        // or, when ingest won that race, by the kill switch reading its first command.
                        assertThat(retries(meters, "ingest") + retries(meters, "killswitch")).isPositive();
                        assertThat(ingest.refused() + killSwitch.refused()).isPositive();
                        System.out.printf("registry outage: %d statements, %d tables dropped, %d events, %d duplicates;"
                                        + " registry retries: ingest %.0f, detection %.0f, kill switch %.0f%n",
                                run.drops().size(), gone.size(), events.size(), duplicates, retries(meters, "ingest"),
                                retries(meters, "detection"), retries(meters, "killswitch"));
                    } finally {
                        restorer.shutdownNow();
                    }
                }
            }
        }
    }

    private static String via(CuttableProxy proxy, URI registry) {
        return "http://127.0.0.1:" + proxy.port() + registry.getRawPath();
    }

    private static double retries(SimpleMeterRegistry meters, String stage) {
        var counter = meters.find(RegistryOutageMeters.RETRIES).tag("stage", stage).functionCounter();
        return counter == null ? 0 : counter.count();
    }
}
