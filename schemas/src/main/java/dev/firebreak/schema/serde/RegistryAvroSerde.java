package dev.firebreak.schema.serde;

import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Serde of one generated Avro class over the Confluent wire format; used on every Firebreak topic. */
public final class RegistryAvroSerde<T extends SpecificRecord> extends Serdes.WrapperSerde<T> {

    public RegistryAvroSerde(Class<T> type, SchemaRegistryClient registry) {
        super(new RegistryAvroSerializer<>(type, registry, false), new RegistryAvroDeserializer<>(type, registry));
    }

    /** Value serde for the registry at {@code url} (http(s)://... or mem://scope). */
    public static <T extends SpecificRecord> RegistryAvroSerde<T> forValue(Class<T> type, String url) {
        RegistryAvroSerde<T> serde = new RegistryAvroSerde<>(type, SchemaRegistries.forUrl(url));
        serde.configure(Map.of(SchemaRegistries.URL_CONFIG, url), false);
        return serde;
    }
}
