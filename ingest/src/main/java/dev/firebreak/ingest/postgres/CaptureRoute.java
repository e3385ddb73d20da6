package dev.firebreak.ingest.postgres;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * One kind of record the capture engine delivers, and what becomes of it. The engine asks its routes
 * in order; the first that {@link #handles} a record takes it, and a record no route takes stands for
 * nothing (snapshot reads, tables nobody routes).
 */
interface CaptureRoute {

    /** Whether this route takes the record; {@code value} is the record's value, never null. */
    boolean handles(SourceRecord record, Struct value);

    /**
     * Produces what the record stands for, registering in {@code batch} every send the batch's offsets
     * must wait for.
     */
    void route(SourceRecord record, Struct value, CaptureBatch batch);
}
