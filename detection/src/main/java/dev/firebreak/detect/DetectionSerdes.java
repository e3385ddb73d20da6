package dev.firebreak.detect;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.serde.RegistryAvroSerde;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * The value serdes of the topics the detection topology reads and writes. Keys are principals
 * (strings). Store state has its own registry-free serde inside the topology.
 *
 * @param auditEvents    {@code firebreak.audit.events.v1}
 * @param alerts         {@code firebreak.alerts.v1}
 * @param revokeCommands {@code firebreak.killswitch.commands.v1}
 * @param deadLetters    {@code firebreak.audit.dlq.v1}
 * @param principalLinks {@code firebreak.principals.links.v1}
 * @param revocationResults {@code firebreak.killswitch.results.v1}, read only to re-issue commands that did not hold
 */
public record DetectionSerdes(Serde<AuditEvent> auditEvents, Serde<Alert> alerts,
                              Serde<RevokeCommand> revokeCommands, Serde<DeadLetter> deadLetters,
                              Serde<PrincipalLink> principalLinks, Serde<RevocationResult> revocationResults) {

    public DetectionSerdes {
        Objects.requireNonNull(auditEvents, "auditEvents");
        Objects.requireNonNull(alerts, "alerts");
        Objects.requireNonNull(revokeCommands, "revokeCommands");
        Objects.requireNonNull(deadLetters, "deadLetters");
        Objects.requireNonNull(principalLinks, "principalLinks");
        Objects.requireNonNull(revocationResults, "revocationResults");
    }

    /** Confluent-wire-format Avro serdes on the registry at {@code url} (http(s)://... or mem://scope). */
    public static DetectionSerdes forRegistry(String url) {
        return new DetectionSerdes(RegistryAvroSerde.forValue(AuditEvent.class, url),
                RegistryAvroSerde.forValue(Alert.class, url),
                RegistryAvroSerde.forValue(RevokeCommand.class, url),
                RegistryAvroSerde.forValue(DeadLetter.class, url),
                RegistryAvroSerde.forValue(PrincipalLink.class, url),
                RegistryAvroSerde.forValue(RevocationResult.class, url));
    }
}
