package dev.firebreak.schema.serde;

import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads the Confluent wire format into a generated Avro class, resolving the writer's schema (by
 * id, cached) against the reader's own so older and newer writers both decode.
 */
public final class RegistryAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private final Schema readerSchema;
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
    private SchemaRegistryClient registry;

    public RegistryAvroDeserializer(Class<T> type) {
        this(type, null);
    }

    public RegistryAvroDeserializer(Class<T> type, SchemaRegistryClient registry) {
        this.readerSchema = SpecificRecords.schemaOf(type);
        this.registry = registry;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (registry == null) {
            Object url = configs.get(SchemaRegistries.URL_CONFIG);
            registry = SchemaRegistries.forUrl(url == null ? null : url.toString());
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new SerializationException("deserializer not configured: " + SchemaRegistries.URL_CONFIG + " missing");
        }
        int id = WireFormat.schemaId(data);
        SpecificDatumReader<T> reader = readers.computeIfAbsent(id,
                i -> new SpecificDatumReader<>(registry.schemaById(i), readerSchema));
        BinaryDecoder decoder = DecoderFactory.get()
                .binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
        try {
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot read " + readerSchema.getFullName() + " (schema id " + id
                    + ") from " + topic + ": " + e.getMessage(), e);
        }
    }
}
