package dev.firebreak.detect;

import dev.firebreak.schema.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' deserialization handler for detection. Bad data is logged and skipped as with
 * {@link LogAndContinueExceptionHandler} (audit values never get here: the topology dead-letters
 * them itself). A schema registry outage is not bad data: it fails the stream thread, which
 * {@link DetectionService} replaces; the replacement reads the same record again from the last
 * commit, so nothing is skipped. Outages shorter than {@link DetectionTopology#REGISTRY_MAX_BLOCK}
 * never get here: the source's deserializer waits them out.
 */
public final class RegistryOutageHandler extends LogAndContinueExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryOutageHandler.class);

    /**
     * Kafka Streams 4.3 calls this, not the deprecated {@code handle}: {@link LogAndContinueExceptionHandler}
     * implements it without delegating, so overriding {@code handle} alone would skip a record on an outage.
     */
    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (SchemaRegistryException.isRegistryUnavailable(exception)) {
            LOG.warn("schema registry still unavailable for the record at {}-{}@{}; failing this stream thread so "
                    + "the record is read again, not skipped", record.topic(), record.partition(), record.offset());
            return Response.fail();
        }
        return super.handleError(context, record, exception);
    }
}
