package dev.firebreak.ingest.pglog;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A command on a global object (database, role, tablespace) or on role membership, as PostgreSQL
 * tags it ({@code CREATE USER} is tagged {@code CREATE ROLE}, {@code GRANT r TO u} {@code GRANT ROLE}).
 *
 * @param objectType the type of every object, as {@code pg_event_trigger_dropped_objects} names it
 * @param objects    the object names as PostgreSQL resolves them, in statement order
 * @param attributes extras for the event, e.g. the grantees of a {@code GRANT ROLE}
 */
record GlobalCommand(String tag, String objectType, List<String> objects, boolean destructive, Map<String, String> attributes) {
    GlobalCommand {
        objects = List.copyOf(objects);
        attributes = Map.copyOf(attributes);
    }

    GlobalCommand withAttribute(String key, String value) {
        Map<String, String> more = new HashMap<>(attributes);
        more.put(key, value);
        return new GlobalCommand(tag, objectType, objects, destructive, more);
    }
}
