package dev.firebreak.launcher.preflight;

import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.PassThrough;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The settings of the operator commands that talk to Kafka as the operator's own user
 * ({@code approve}, {@code reject}): {@code firebreak.operator.*}. {@code revoke} and {@code reinstate}
 * read the kill switch's settings instead.
 */
public final class OperatorSettings extends DeclaredSettings {
    public static final String PREFIX = "firebreak.operator.";
    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = PREFIX + "schema.registry.url";
    /** Kafka client settings of the operator's user, e.g. {@code firebreak.operator.client.sasl.jaas.config}. */
    public static final String CLIENT_PREFIX = PREFIX + PassThrough.CLIENT_INFIX;

    /** Every fixed key; required ones are checked by the commands, naming {@code --config} and {@code --set}. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(BOOTSTRAP_SERVERS, Type.STRING, null, Importance.HIGH, "Kafka bootstrap servers,"
                    + " host:port[,host:port...]. Required by approve and reject.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, null, Importance.HIGH, "Schema registry of the pre-flight"
                    + " decisions and approvals: http(s)://... or mem://<scope>. Required by approve and reject.");

    public OperatorSettings() {
        super("operator", "Operator commands (approve, reject)", CONFIG, Map.of(CLIENT_PREFIX, "Kafka client settings of"
                + " the operator's own Kafka user (Read on the decisions topic, Write on the approvals topic), e.g."
                + " security.protocol, sasl.jaas.config"), Map.of());
    }
}
