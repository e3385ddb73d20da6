package dev.firebreak.rules;

import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/** Audit events as the PostgreSQL event trigger path produces them, at explicit times. */
public final class AuditEvents {
    /** 2026-01-01T00:00:00Z in epoch µs: a whole second, so offsets below show window boundaries plainly. */
    public static final long T0_US = 1_767_225_600_000_000L;
    /** What ingest adds between the database clock and capture. */
    public static final long CAPTURE_DELAY_US = 3_000;

    private AuditEvents() {
    }

    public static long at(double seconds) {
        return T0_US + Math.round(seconds * 1_000_000);
    }

    /** {@code DROP TABLE} of the named tables, each an original object. */
    public static AuditEvent dropTables(String principal, String eventId, long timeUs, String... tables) {
        List<AffectedObject> objects = new ArrayList<>();
        for (String table : tables) {
            objects.add(object("table", table, true));
        }
        return event(principal, eventId, timeUs, "DROP TABLE", "DROP TABLE " + String.join(", ", tables), objects);
    }

    /** {@code DROP SCHEMA ... CASCADE}: the schema, and each table with its primary-key index as dependents. */
    public static AuditEvent dropSchemaCascade(String principal, String eventId, long timeUs, String schema, int tables) {
        List<AffectedObject> objects = new ArrayList<>();
        objects.add(object("schema", schema, true));
        IntStream.range(0, tables).forEach(i -> {
            objects.add(object("table", schema + ".t" + i, false));
            objects.add(object("index", schema + ".t" + i + "_pkey", false));
        });
        return event(principal, eventId, timeUs, "DROP SCHEMA", "DROP SCHEMA " + schema + " CASCADE", objects);
    }

    public static AffectedObject object(String type, String identity, boolean original) {
        return AffectedObject.newBuilder().setObjectType(type).setIdentity(identity).setOriginal(original).build();
    }

    public static AuditEvent event(String principal, String eventId, long timeUs, String action, String statement,
                            List<AffectedObject> objects) {
        return AuditEvent.newBuilder()
                .setEventId(eventId)
                .setPrincipal(principal)
                .setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                .setAction(action)
                .setEventTimeUs(timeUs)
                .setCapturedTimeUs(timeUs + CAPTURE_DELAY_US)
                .setCluster("prod")
                .setDatabase("shop")
                .setSessionUser(principal.substring(principal.lastIndexOf('/') + 1))
                .setBackendPid(4242)
                .setStatement(statement)
                .setObjects(objects)
                .setLsn(1_000_000L + (timeUs - T0_US))
                .build();
    }
}
