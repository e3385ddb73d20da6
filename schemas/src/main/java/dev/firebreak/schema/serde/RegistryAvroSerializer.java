package dev.firebreak.schema.serde;

import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes a generated Avro record in the Confluent wire format, registering its schema under the
 * topic-name subject ({@code <topic>-value} or {@code <topic>-key}) on first use per topic.
 */
public final class RegistryAvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    private final Schema schema;
    private final SpecificDatumWriter<T> writer;
    private SchemaRegistryClient registry;
    private boolean isKey;

    /** For Kafka's reflective construction; needs {@code schema.registry.url} in configure. */
    public RegistryAvroSerializer(Class<T> type) {
        this(type, null, false);
    }

    public RegistryAvroSerializer(Class<T> type, SchemaRegistryClient registry, boolean isKey) {
        this.schema = SpecificRecords.schemaOf(type);
        this.writer = new SpecificDatumWriter<>(schema);
        this.registry = registry;
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (registry == null) {
            Object url = configs.get(SchemaRegistries.URL_CONFIG);
            registry = SchemaRegistries.forUrl(url == null ? null : url.toString());
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new SerializationException("serializer not configured: " + SchemaRegistries.URL_CONFIG + " missing");
        }
        int id = registry.register(topic + (isKey ? "-key" : "-value"), schema);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(WireFormat.MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + schema.getFullName() + " to " + topic + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }
}
