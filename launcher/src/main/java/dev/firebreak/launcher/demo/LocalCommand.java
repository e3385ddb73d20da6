package dev.firebreak.launcher.demo;

import dev.firebreak.launcher.StackOptions;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.launcher.Lifecycle;
import dev.firebreak.launcher.metrics.MetricsServer;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.stack.EmbeddedPostgres17;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The demo's stack and pipeline without the rogue: stays up for attacks by hand. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = "Start Kafka, PostgreSQL 17, the registry and the pipeline in one JVM and stay up until "
                + "stopped (Ctrl-C). Prints FIREBREAK_READY {json} with the endpoints when ready.")
public final class LocalCommand implements Callable<Integer> {
    @Mixin
    StackOptions stackOptions;

    @Override
    public Integer call() throws Exception {
        Timeline timeline = new Timeline(System.err, false);
        Lifecycle lifecycle = new Lifecycle();
        LocalStack stack = lifecycle.own(LocalStack.start(stackOptions.brokers(), stackOptions.kafkaAuth(), m -> timeline.event("stack", m)));
        MetricsServer metrics = lifecycle.own(new MetricsServer("127.0.0.1", stackOptions.metricsPort()));
        PipelineSettings settings = stackOptions.settings(stack);
        Pipeline pipeline = lifecycle.own(Pipeline.start(settings, metrics.registry(), m -> timeline.event("pipeline", m)));
        metrics.health(pipeline::health);
        System.out.println("FIREBREAK_READY " + readyJson(stack, metrics, pipeline, settings));
        System.out.flush();
        // Roles created by hand become lockable within a second: here the stack does what an operator
        // does in production with install-killswitch-role, so the kill switch never needs superuser.
        while (true) {
            List<String> granted = stack.makeNewRolesLockable();
            if (!granted.isEmpty()) {
                timeline.event("stack", "kill switch may now lock " + granted + " (install-killswitch-role)");
            }
            Thread.sleep(1_000); // until Ctrl-C: the lifecycle's shutdown hook stops everything
        }
    }

    static String readyJson(LocalStack stack, MetricsServer metrics, Pipeline pipeline, PipelineSettings settings)
            throws Exception {
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("postgres_host", stack.postgres().host());
        ready.put("postgres_port", stack.postgres().port());
        ready.put("postgres_database", EmbeddedPostgres17.DATABASE);
        ready.put("postgres_user", EmbeddedPostgres17.SUPERUSER);
        ready.put("postgres_password", EmbeddedPostgres17.SUPERUSER_PASSWORD);
        ready.put("killswitch_role", LocalStack.KILL_SWITCH_ROLE);
        ready.put("kafka_bootstrap", stack.kafka().bootstrapServers());
        stack.observerPassword().ifPresent(password -> {
            // read-only: every firebreak.* topic, consumer groups firebreak-observer-*
            ready.put("kafka_security_protocol", "SASL_PLAINTEXT");
            ready.put("kafka_sasl_mechanism", dev.firebreak.stack.EmbeddedKafka.SCRAM_MECHANISM);
            ready.put("kafka_user", dev.firebreak.launcher.stack.PipelineKafkaAcls.OBSERVER);
            ready.put("kafka_password", password);
        });
        ready.put("registry_url", stack.registryUrl());
        ready.put("metrics_url", metrics.url());
        pipeline.agentActionsUrl().ifPresent(url -> {
            ready.put("agent_actions_url", url);
            ready.put("agent_actions_token", settings.agentActions().httpTokens().get(0));
        });
        // pre-flight: agents ask here; operators answer asks as the operator user (approve/reject)
        pipeline.agentBaseUrl().ifPresent(url -> ready.put("agent_decisions_url", url + "/v1/decisions"));
        stack.kafkaPassword(dev.firebreak.launcher.stack.PipelineKafkaAcls.OPERATOR)
                .ifPresent(password -> ready.put("kafka_operator_password", password));
        return new ObjectMapper().writeValueAsString(ready);
    }
}
