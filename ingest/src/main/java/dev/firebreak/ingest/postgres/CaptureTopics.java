package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.schema.Topics;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics capture creates itself when they are missing: one per row-image table, and the heartbeat
 * topic of strict mode's probes. One partition each, replicated like the offsets topic.
 */
final class CaptureTopics {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureTopics.class);
    private static final long CREATE_TIMEOUT_S = 30;

    private final IngestConfig config;

    CaptureTopics(IngestConfig config) {
        this.config = config;
    }

    /** Creates the row-image topics that are missing; any failure fails start-up. */
    void createRowImageTopics(List<String> topics) {
        createMissing(topics.stream().map(t -> new NewTopic(t, Optional.of(1), replication())).toList());
    }

    /**
     * Creates the heartbeat topic when it is missing (compacted, one partition). A failure is only
     * logged: the beats then miss, which strict mode, when on, turns into refusals.
     */
    void ensureHeartbeatTopic() {
        NewTopic topic = new NewTopic(Topics.INGEST_HEARTBEAT, Optional.of(1), replication())
                .configs(Map.of("cleanup.policy", "compact"));
        try {
            createMissing(List.of(topic));
        } catch (IllegalStateException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw e;
            }
            LOG.warn("{}; capture cannot beat until {} exists", e.getMessage(), Topics.INGEST_HEARTBEAT);
        }
    }

    private Optional<Short> replication() {
        return Optional.of((short) config.offsetsReplicationFactor());
    }

    /** Creates the topics that do not exist yet, within 30 s each; any other failure is thrown. */
    private void createMissing(List<NewTopic> topics) {
        try (Admin admin = Admin.create(config.clientProperties())) {
            for (var result : admin.createTopics(topics).values().entrySet()) {
                try {
                    result.getValue().get(CREATE_TIMEOUT_S, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + result.getKey() + ": " + e.getCause(), e);
                    }
                } catch (TimeoutException e) {
                    throw new IllegalStateException("topic " + result.getKey() + " not created within 30 s", e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + topics, e);
        }
    }
}
