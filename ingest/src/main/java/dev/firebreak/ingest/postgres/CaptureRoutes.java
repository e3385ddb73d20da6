package dev.firebreak.ingest.postgres;

import java.util.List;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * The routes of one capture, in the order they are asked: the first that handles a record takes it.
 * Tombstones (null value) and records no route takes stand for nothing and are dropped.
 */
final class CaptureRoutes {
    private final List<CaptureRoute> routes;

    CaptureRoutes(List<CaptureRoute> routes) {
        this.routes = List.copyOf(routes);
    }

    /** Hands the record to the first route that takes it; returns whether one did. */
    boolean dispatch(SourceRecord record, CaptureBatch batch) {
        if (!(record.value() instanceof Struct value)) {
            return false;
        }
        for (CaptureRoute route : routes) {
            if (route.handles(record, value)) {
                route.route(record, value, batch);
                return true;
            }
        }
        return false;
    }
}
