package dev.firebreak.schema.serde;

import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import dev.firebreak.schema.registry.SchemaRegistryException;
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
 *
 * <p>Failures come in two kinds. Bad data (no Confluent header, unknown magic byte, a schema id
 * the registry answers 404 for, bytes that do not decode) is a {@link SerializationException}
 * without a registry outage in its causes. A registry outage (no answer, 5xx, 408, 429) is a
 * {@link SchemaRegistryException} for which {@link SchemaRegistryException#isRegistryUnavailable}
 * holds: the record is fine and must be read again later, never dead-lettered or skipped. Writer
 * schemas already fetched are cached here and in {@link dev.firebreak.schema.registry.CachingSchemaRegistryClient},
 * so a warm deserializer reads through an outage without noticing it.
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
        SpecificDatumReader<T> reader = readers.get(id);
        if (reader == null) {
            reader = readers.computeIfAbsent(id, i -> new SpecificDatumReader<>(writerSchema(topic, i), readerSchema));
        }
        BinaryDecoder decoder = DecoderFactory.get()
                .binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
        try {
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot read " + readerSchema.getFullName() + " (schema id " + id
                    + ") from " + topic + ": " + e.getMessage(), e);
        }
    }

    /**
     * The writer's schema. A registry outage propagates as the {@link SchemaRegistryException} it is
     * ({@link SchemaRegistryException#isRegistryUnavailable} holds: retry the record later); any answer
     * about the id itself (404 unknown id, an unparseable schema) is bad data, a {@link SerializationException}.
     */
    private Schema writerSchema(String topic, int id) {
        try {
            return registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            if (e.registryUnavailable()) {
                throw e;
            }
            throw new SerializationException("schema id " + id + " of a record in " + topic + " is not usable: "
                    + e.getMessage(), e);
        } catch (org.apache.avro.SchemaParseException e) {
            throw new SerializationException("schema id " + id + " of a record in " + topic + " does not parse: "
                    + e.getMessage(), e);
        }
    }
}
