package dev.firebreak.launcher.stack;

import dev.firebreak.schema.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The pipeline's own Kafka users and the least privilege each stage gets: READ of its inputs, WRITE of
 * its outputs, its consumer group and its own internal topics, nothing else. So only ingest writes
 * audit events, only detection writes revoke commands, only the kill switch writes results. The same
 * table is in the README and in {@code deploy/compose/kafka-acls.sh}; {@code KafkaAuthIT} holds the
 * broker to it.
 */
public final class PipelineKafkaAcls {
    /** Capture: writes audit events, dead letters, row images, heartbeats; owns its Debezium offsets topic. */
    public static final String INGEST = "firebreak-ingest";
    /** Kafka Streams: reads events and links, writes commands, alerts and dead letters, owns its owner-events topic. */
    public static final String DETECTION = "firebreak-detection";
    /** Reads commands, writes results and alerts; reads results for {@code reinstate}. */
    public static final String KILL_SWITCH = "firebreak-killswitch";
    /** Reads alerts and results (no consumer group: it assigns partitions itself). */
    public static final String ON_CALL = "firebreak-oncall";
    /** OCSF export: reads events and alerts, writes {@link Topics#OCSF}, in its own consumer group. */
    public static final String EXPORT = "firebreak-export";
    /** The export stage's consumer group (its default, {@code firebreak.export.group.id}). */
    public static final String EXPORT_GROUP = "firebreak-export";
    /**
     * Operators' tools: {@code approve} and {@code reject} write answers to pending pre-flight decisions
     * and read the decisions they answer (no consumer group: they assign partitions themselves).
     */
    public static final String OPERATOR = "firebreak-operator";
    /** Read-only: every {@code firebreak.} topic, in consumer groups named {@value #OBSERVER_GROUP_PREFIX}*. */
    public static final String OBSERVER = "firebreak-observer";
    /** The observer's consumer groups; a prefix of its own, so it can never join a stage's group. */
    public static final String OBSERVER_GROUP_PREFIX = "firebreak-observer-";
    /** Prefix of row-image topics ({@link Topics#rowImages}), which ingest creates on demand. */
    static final String ROW_IMAGE_PREFIX = "firebreak.cdc.";
    /** Every user but the super user, in a stable order. */
    public static final List<String> USERS = List.of(INGEST, DETECTION, KILL_SWITCH, ON_CALL, EXPORT, OBSERVER, OPERATOR);

    private PipelineKafkaAcls() {
    }

    /**
     * Every ALLOW binding of the pipeline's users.
     *
     * @param detectionApplicationId Kafka Streams application id: detection's group, internal topic and
     *                               transactional id prefix
     * @param killSwitchGroup        the kill switch's consumer group
     */
    /**
     * Creates {@link #bindings} and waits until a broker answers with every one of them. The
     * controller accepts ACLs before the brokers apply them from the metadata log, and a client
     * that comes in between is refused (TopicAuthorizationException), as a stage starting at once
     * would be.
     */
    public static void grant(Admin admin, String detectionApplicationId, String killSwitchGroup, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<AclBinding> wanted = bindings(detectionApplicationId, killSwitchGroup);
        long deadline = System.nanoTime() + timeout.toNanos();
        admin.createAcls(wanted).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        while (!new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values()
                .get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS)).containsAll(wanted)) {
            if (System.nanoTime() - deadline >= 0) {
                throw new TimeoutException("the broker did not show the pipeline's ACLs within " + timeout);
            }
            Thread.sleep(20);
        }
    }

    public static List<AclBinding> bindings(String detectionApplicationId, String killSwitchGroup) {
        List<AclBinding> acls = new ArrayList<>();
        ingest(acls);
        detection(acls, detectionApplicationId);
        killSwitch(acls, killSwitchGroup);
        reads(acls, ON_CALL, Topics.ALERTS, Topics.KILLSWITCH_RESULTS);
        reads(acls, EXPORT, Topics.AUDIT_EVENTS, Topics.ALERTS);
        writes(acls, EXPORT, Topics.OCSF);
        acls.add(allow(EXPORT, ResourceType.GROUP, PatternType.LITERAL, EXPORT_GROUP, AclOperation.READ));
        writes(acls, OPERATOR, Topics.PREFLIGHT_APPROVALS);
        reads(acls, OPERATOR, Topics.PREFLIGHT_DECISIONS);
        topic(acls, OBSERVER, PatternType.PREFIXED, "firebreak.", AclOperation.READ, AclOperation.DESCRIBE);
        acls.add(allow(OBSERVER, ResourceType.GROUP, PatternType.PREFIXED, OBSERVER_GROUP_PREFIX, AclOperation.READ));
        return List.copyOf(acls);
    }

    private static void ingest(List<AclBinding> acls) {
        writes(acls, INGEST, Topics.AUDIT_EVENTS, Topics.AUDIT_DLQ);
        // Capture's liveness beats (strict mode); ingest creates the compacted topic when missing.
        topic(acls, INGEST, PatternType.LITERAL, Topics.INGEST_HEARTBEAT, AclOperation.CREATE, AclOperation.WRITE,
                AclOperation.DESCRIBE);
        // Debezium's offset store creates, reads back and checks the compaction of its own topic.
        topic(acls, INGEST, PatternType.LITERAL, Topics.INGEST_OFFSETS, AclOperation.CREATE, AclOperation.READ,
                AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS);
        topic(acls, INGEST, PatternType.PREFIXED, ROW_IMAGE_PREFIX, AclOperation.CREATE, AclOperation.WRITE,
                AclOperation.DESCRIBE);
        // Pre-flight decisions: ingest records its refusals and rebuilds the principals' live state from
        // them, the operators' approvals, the alerts (open episodes) and the kill switch's results
        // (revoked credentials). No consumer group: every ingest instance reads every partition.
        writes(acls, INGEST, Topics.PREFLIGHT_DECISIONS);
        reads(acls, INGEST, Topics.PREFLIGHT_DECISIONS, Topics.PREFLIGHT_APPROVALS, Topics.ALERTS, Topics.KILLSWITCH_RESULTS);
    }

    private static void detection(List<AclBinding> acls, String applicationId) {
        // results: the kill switch's signed outcomes, so a FAILED or reinstated revocation is re-issued
        reads(acls, DETECTION, Topics.AUDIT_EVENTS, Topics.PRINCIPAL_LINKS, Topics.KILLSWITCH_RESULTS);
        writes(acls, DETECTION, Topics.KILLSWITCH_COMMANDS, Topics.ALERTS, Topics.AUDIT_DLQ);
        // Its own repartition topic: linked credentials' events re-keyed to their owner, read back.
        topic(acls, DETECTION, PatternType.LITERAL, Topics.DETECTION_OWNER_EVENTS, AclOperation.READ, AclOperation.WRITE,
                AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS);
        acls.add(allow(DETECTION, ResourceType.GROUP, PatternType.LITERAL, applicationId, AclOperation.READ));
        // Changelog and repartition topics are <application.id>-...; Streams creates, reads, writes,
        // purges (DeleteRecords) and configures them.
        topic(acls, DETECTION, PatternType.PREFIXED, applicationId + "-", AclOperation.ALL);
        // exactly_once_v2: transactional ids are <application.id>-<process id>-<thread>.
        acls.add(allow(DETECTION, ResourceType.TRANSACTIONAL_ID, PatternType.PREFIXED, applicationId, AclOperation.WRITE));
        acls.add(allow(DETECTION, ResourceType.TRANSACTIONAL_ID, PatternType.PREFIXED, applicationId, AclOperation.DESCRIBE));
        acls.add(allow(DETECTION, ResourceType.CLUSTER, PatternType.LITERAL, "kafka-cluster", AclOperation.IDEMPOTENT_WRITE));
    }

    private static void killSwitch(List<AclBinding> acls, String group) {
        reads(acls, KILL_SWITCH, Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS);
        writes(acls, KILL_SWITCH, Topics.KILLSWITCH_RESULTS, Topics.ALERTS);
        acls.add(allow(KILL_SWITCH, ResourceType.GROUP, PatternType.LITERAL, group, AclOperation.READ));
    }

    // DESCRIBE_CONFIGS: every stage checks at start-up that its topics are durable (TopicDurability).
    private static void reads(List<AclBinding> acls, String user, String... topics) {
        for (String t : topics) {
            topic(acls, user, PatternType.LITERAL, t, AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS);
        }
    }

    private static void writes(List<AclBinding> acls, String user, String... topics) {
        for (String t : topics) {
            topic(acls, user, PatternType.LITERAL, t, AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS);
        }
    }

    private static void topic(List<AclBinding> acls, String user, PatternType pattern, String name, AclOperation... ops) {
        for (AclOperation op : ops) {
            acls.add(allow(user, ResourceType.TOPIC, pattern, name, op));
        }
    }

    private static AclBinding allow(String user, ResourceType type, PatternType pattern, String name, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW));
    }
}
