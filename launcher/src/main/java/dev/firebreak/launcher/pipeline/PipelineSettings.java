package dev.firebreak.launcher.pipeline;

import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.ingest.guard.GuardRules;
import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.pglog.ServerLogConfig;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.export.ocsf.OcsfExportConfig;
import dev.firebreak.oncall.OnCallConfig;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.launcher.stack.PipelineKafkaAcls;
import dev.firebreak.stack.PostgresService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The three services' settings, each parsed and validated by its own module from one flat map of
 * {@code firebreak.<service>.*} keys, the same way a production properties file is read.
 */
public record PipelineSettings(IngestConfig ingest, AgentActionConfig agentActions, ServerLogConfig serverLog,
                               DetectionConfig detection, KillSwitchConfig killSwitch, OnCallConfig onCall,
                               GuardConfig guard, GuardPolicy guardPolicy, Map<String, String> flat) {

    /** Parses every service's settings from {@code flat}; a bad key fails here, at start-up. */
    public static PipelineSettings fromMap(Map<String, String> flat) {
        return new PipelineSettings(IngestConfig.fromMap(flat), AgentActionConfig.fromMap(flat), ServerLogConfig.fromMap(flat),
                DetectionConfig.fromMap(flat), KillSwitchConfig.fromMap(flat), OnCallConfig.fromMap(flat).orElse(null),
                GuardConfig.fromMap(flat), GuardRules.load(flat), Map.copyOf(flat));
    }

    /** Whether alerts are pushed to Alertmanager ({@code firebreak.oncall.alertmanager.urls} set). */
    public Optional<OnCallConfig> onCallPaging() {
        return Optional.ofNullable(onCall);
    }

    /** Whether the server-log capture path is on (it needs the data directory on this host). */
    public Optional<ServerLogConfig> serverLogCapture() {
        return Optional.ofNullable(serverLog);
    }

    /** Settings for the embedded stack: the operator superuser and Firebreak's role are protected. */
    public static PipelineSettings forStack(LocalStack stack, String cluster, List<String> protectedRoles) {
        return fromMap(stackMap(stack, cluster, protectedRoles));
    }

    /** The flat settings for the embedded stack, for callers that want to adjust some. */
    public static Map<String, String> stackMap(LocalStack stack, String cluster, List<String> protectedRoles) {
        PostgresService pg = stack.postgres();
        String kafka = stack.kafka().bootstrapServers();
        String registry = stack.registryUrl();
        Map<String, String> m = new HashMap<>();
        m.put(IngestConfig.PREFIX + "cluster", cluster);
        m.put(IngestConfig.PREFIX + "pg.host", pg.host());
        m.put(IngestConfig.PREFIX + "pg.port", Integer.toString(pg.port()));
        m.put(IngestConfig.PREFIX + "pg.database", PostgresService.DATABASE);
        m.put(IngestConfig.PREFIX + "pg.user", PostgresService.SUPERUSER);
        m.put(IngestConfig.PREFIX + "pg.password", PostgresService.SUPERUSER_PASSWORD);
        m.put(IngestConfig.BOOTSTRAP_SERVERS, kafka);
        m.put(IngestConfig.PREFIX + "schema.registry.url", registry);
        m.put(IngestConfig.PREFIX + "offsets.replication.factor", Short.toString(stack.kafka().replicationFactor()));
        // local and demo guard every role but the superusers (which cannot be guarded).
        m.put(GuardConfig.SCOPE, "all");
        m.put(GuardConfig.EXPECTED_SUPERUSERS, PostgresService.SUPERUSER);
        // The server-log path reads the jsonlog file, so only when the data directory is on this host.
        m.put(ServerLogConfig.PREFIX + "enabled", Boolean.toString(pg.localDataDirectory().isPresent()));
        // agents post their actions here; a fresh token per run, printed by 'local'. It may speak for
        // every agent ("*"): one local stack, one operator; production lists each token's agents.
        m.put(AgentActionConfig.PREFIX + "http.enabled", "true");
        m.put(AgentActionConfig.PREFIX + "http.port", "0");
        m.put(AgentActionConfig.PREFIX + "http.tokens", java.util.UUID.randomUUID().toString().replace("-", "") + ":*");
        // agents ask before they act (POST /v1/decisions on the same endpoint and token)
        m.put(dev.firebreak.ingest.preflight.PreflightConfig.PREFIX + "enabled", "true");
        pg.localDataDirectory().ifPresent(dir -> m.put(ServerLogConfig.PREFIX + "data.directory", dir.toString()));
        m.put(DetectionConfig.BOOTSTRAP_SERVERS, kafka);
        m.put(DetectionConfig.SCHEMA_REGISTRY_URL, registry);
        m.put(DetectionConfig.STATE_DIR, tempDir("firebreak-streams"));
        m.put(KillSwitchConfig.CLUSTER, cluster);
        m.put(KillSwitchConfig.PG_URL, pg.jdbcUrl());
        // Least privilege, as in production: the installed role, not the superuser.
        m.put(KillSwitchConfig.PG_USER, LocalStack.KILL_SWITCH_ROLE);
        m.put(KillSwitchConfig.PG_PASSWORD, stack.killSwitchPassword());
        m.put(KillSwitchConfig.PROTECTED_ROLES, String.join(",", protectedRoles));
        m.put(KillSwitchConfig.BOOTSTRAP_SERVERS, kafka);
        // Fresh secrets per stack: detection signs commands with one the kill switch verifies, and the
        // kill switch signs its results with its own, which reinstate and detection (to re-issue a
        // command that did not hold) verify.
        String commandSecret = randomSecret();
        m.put(DetectionConfig.COMMAND_SIGNING_SECRET, commandSecret);
        m.put(KillSwitchConfig.COMMAND_VERIFICATION_SECRET, commandSecret);
        String resultSecret = randomSecret();
        m.put(KillSwitchConfig.RESULT_SIGNING_SECRET, resultSecret);
        m.put(DetectionConfig.RESULT_VERIFICATION_SECRET, resultSecret);
        // Paging is off until firebreak.oncall.alertmanager.urls is set (--set); the rest is ready.
        m.put(OnCallConfig.ENVIRONMENT, "local");
        m.put(OnCallConfig.BOOTSTRAP_SERVERS, kafka);
        m.put(OnCallConfig.SCHEMA_REGISTRY_URL, registry);
        m.put(KillSwitchConfig.SCHEMA_REGISTRY_URL, registry);
        // The OCSF export is off until firebreak.export.ocsf.enabled=true (--set); the rest is ready.
        m.put(OcsfExportConfig.BOOTSTRAP_SERVERS, kafka);
        m.put(OcsfExportConfig.SCHEMA_REGISTRY_URL, registry);
        // A crashed detection or kill switch holds its partitions until its session times out; the
        // consumer default (45 s) would leave a replacement blind that long.
        // Each stage's own key (the old shared kafka.consumer.* spelling logs a warning).
        for (String consumer : List.of(DetectionConfig.STREAMS_PREFIX + "consumer.", KillSwitchConfig.CONSUMER_PREFIX,
                OnCallConfig.CONSUMER_PREFIX)) {
            m.put(consumer + "session.timeout.ms", "6000");
            m.put(consumer + "heartbeat.interval.ms", "1500");
        }
        stageClients(stack, m);
        if (stack.kafka().replicationFactor() > 1) {
            m.put(DetectionConfig.STREAMS_PREFIX + "replication.factor", Short.toString(stack.kafka().replicationFactor()));
        }
        if (stack.kafka().replicationFactor() >= 3) {
            // Detection's changelogs and repartition topic, as durable as the pipeline's topics (TopicDurability).
            m.put(DetectionConfig.STREAMS_PREFIX + "topic.min.insync.replicas", "2");
        }
        return m;
    }

    /**
     * Each stage's own Kafka credentials under its {@code firebreak.<stage>.client.*} keys, so stages
     * sharing this process (or this map, written to each service's file) still act as themselves.
     */
    private static void stageClients(LocalStack stack, Map<String, String> m) {
        if (!stack.kafkaAuthenticated()) {
            return;
        }
        Map<String, String> prefixes = Map.of(PipelineKafkaAcls.INGEST, IngestConfig.CLIENT_PREFIX,
                PipelineKafkaAcls.DETECTION, DetectionConfig.CLIENT_PREFIX,
                PipelineKafkaAcls.KILL_SWITCH, KillSwitchConfig.CLIENT_PREFIX,
                PipelineKafkaAcls.ON_CALL, OnCallConfig.CLIENT_PREFIX, PipelineKafkaAcls.EXPORT, OcsfExportConfig.CLIENT_PREFIX);
        prefixes.forEach((user, prefix) -> stack.kafkaClientProperties(user).forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                m.put(prefix + k, v);
            }
        }));
    }

    private static String randomSecret() {
        byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    private static String tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
