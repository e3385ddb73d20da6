package dev.firebreak.launcher.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.launcher.service.ServiceCommand;
import dev.firebreak.launcher.stack.PipelineKafkaAcls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/**
 * The compose stack's Kafka security cannot drift from the embedded stack's: the ACLs that
 * {@code deploy/kafka/init.sh} creates with kafka-acls.sh are exactly {@link PipelineKafkaAcls}, which
 * {@code KafkaAuthIT} holds the real broker to, and every stage's compose properties authenticate as
 * that stage's own user, one of the users {@code deploy/kafka/start.sh} creates.
 */
class ComposeKafkaAclsTest {
    private static final Path KAFKA = Path.of("deploy", "kafka");

    @Test
    void initScriptGrantsExactlyWhatTheEmbeddedStackGrants() throws IOException {
        Set<AclBinding> compose = new HashSet<>(parse(Files.readAllLines(OpsFiles.root().resolve(KAFKA).resolve("init.sh"))));
        Set<AclBinding> embedded = new HashSet<>(PipelineKafkaAcls.bindings(DetectionConfig.DEFAULT_APPLICATION_ID,
                KillSwitchConfig.DEFAULT_GROUP_ID));
        assertThat(compose).isEqualTo(embedded);
    }

    @Test
    void everyStageAuthenticatesAsItsOwnUserCreatedAtFormatTime() throws IOException {
        String start = Files.readString(OpsFiles.root().resolve(KAFKA).resolve("start.sh"));
        for (String stage : List.of("ingest", "detection", "killswitch", "oncall")) {
            Map<String, String> settings = ServiceCommand.read(OpsFiles.root().resolve("deploy/compose/" + stage + ".properties"));
            String prefix = "firebreak." + stage + ".client.";
            assertThat(settings).containsEntry(prefix + "security.protocol", "SASL_PLAINTEXT")
                    .containsEntry(prefix + "sasl.mechanism", "SCRAM-SHA-512");
            String user = "firebreak-" + stage;
            assertThat(settings.get(prefix + "sasl.jaas.config")).as(stage)
                    .startsWith("org.apache.kafka.common.security.scram.ScramLoginModule required")
                    .contains("username=\"" + user + "\"");
            assertThat(start).as("start.sh creates " + user).contains("[" + user + "]=");
        }
    }

    @Test
    void initScriptCreatesDetectionsCoPartitionedTopicsWithThePlannedPartitions() throws IOException {
        String init = Files.readString(OpsFiles.root().resolve(KAFKA).resolve("init.sh"));
        assertThat(init).contains("for t in " + String.join(" ", dev.firebreak.schema.TopicPlan.CO_PARTITIONED) + "; do\n"
                + "  topic \"$t\" " + dev.firebreak.schema.TopicPlan.DETECTION_PARTITIONS + "\n");
    }

    /** The {@code acl USER kafka-acls.sh-arguments} lines of init.sh, as bindings. */
    static List<AclBinding> parse(List<String> lines) {
        List<AclBinding> out = new ArrayList<>();
        for (String line : lines) {
            String[] t = line.strip().split("\\s+");
            if (!t[0].equals("acl") || t.length < 3) {
                continue;
            }
            List<AclOperation> ops = new ArrayList<>();
            List<ResourcePattern> resources = new ArrayList<>();
            PatternType pattern = line.contains("--resource-pattern-type prefixed") ? PatternType.PREFIXED : PatternType.LITERAL;
            for (int i = 2; i < t.length; i++) {
                switch (t[i]) {
                    case "--operation" -> ops.add(AclOperation.valueOf(
                            t[++i].replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT)));
                    case "--topic" -> resources.add(new ResourcePattern(ResourceType.TOPIC, t[++i], pattern));
                    case "--group" -> resources.add(new ResourcePattern(ResourceType.GROUP, t[++i], pattern));
                    case "--transactional-id" -> resources.add(new ResourcePattern(ResourceType.TRANSACTIONAL_ID, t[++i], pattern));
                    case "--cluster" -> resources.add(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL));
                    case "--resource-pattern-type" -> i++;
                    default -> throw new IllegalArgumentException("unexpected " + t[i] + " in: " + line);
                }
            }
            for (ResourcePattern r : resources) {
                for (AclOperation op : ops) {
                    out.add(new AclBinding(r, new AccessControlEntry("User:" + t[1], "*", op, AclPermissionType.ALLOW)));
                }
            }
        }
        return out;
    }
}
