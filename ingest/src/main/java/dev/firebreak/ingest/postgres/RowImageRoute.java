package dev.firebreak.ingest.postgres;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/** Committed changes of the tables kept for restores ({@link RowImages}), to each table's own topic. */
final class RowImageRoute implements CaptureRoute {
    private final RowImages rowImages;

    RowImageRoute(RowImages rowImages) {
        this.rowImages = rowImages;
    }

    @Override
    public boolean handles(SourceRecord record, Struct value) {
        return rowImages.enabled() && rowImages.handles(value);
    }

    @Override
    public void route(SourceRecord record, Struct value, CaptureBatch batch) {
        batch.await(rowImages.route(record, value));
    }
}
