package dev.firebreak.config;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * The settings one part of a stage reads, declared once: Kafka's {@link ConfigDef} with full key
 * names ({@code firebreak.ingest.slot.name}), types, defaults, validators and docs, plus the open
 * prefixes whose keys the part validates itself (pass-through client settings, named clusters).
 *
 * <p>Each module lists its definitions in
 * {@code META-INF/services/dev.firebreak.config.SettingsDefinition}, so that {@link Settings#check}
 * rejects a misspelled key in any stage, and the settings reference is generated from the same
 * declarations the stages parse with.
 */
public interface SettingsDefinition {
    /** The stage that reads these settings: {@code ingest}, {@code detection}, {@code killswitch}, ... */
    String stage();

    /** A heading for the settings reference, e.g. "Capture (PostgreSQL)". */
    String title();

    /** Every fixed key, with its type, default, validator and documentation. */
    ConfigDef definition();

    /**
     * Prefixes under which keys are open-ended, each with what goes there, e.g.
     * {@code firebreak.ingest.debezium.} : "Debezium connector properties, passed through".
     * A key under one of them is accepted by {@link Settings#check}; its owner validates it.
     */
    default Map<String, String> openPrefixes() {
        return Map.of();
    }

    /**
     * Old spellings still read, each with its new spelling (see {@link DeprecatedKeys}); a name ending
     * in {@code .} renames a prefix. {@link Settings#check} accepts them; the reference lists them. Several
     * stages may each rename the same old prefix to their own new one ({@code kafka.consumer.}).
     */
    default Map<String, String> deprecatedAliases() {
        return Map.of();
    }
}
