package dev.firebreak.launcher.bench;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.util.function.Predicate;

/** Recognises the event a sample caused, by its path's fields and the sample's marker. */
final class EventMatchers {
    private EventMatchers() {
    }

    /** An event trigger or table trigger event of {@code kind} (attribute {@code trigger}) whose statement holds the marker. */
    static Predicate<AuditEvent> trigger(String kind, String action, String marker) {
        return e -> e.getSource() == AuditSource.POSTGRES_EVENT_TRIGGER
                && kind.equals(e.getAttributes().get("trigger"))
                && action.equals(e.getAction())
                && contains(e.getStatement(), marker);
    }

    /** A server-log event about the global object {@code name}. */
    static Predicate<AuditEvent> serverLog(String action, String name) {
        return e -> e.getSource() == AuditSource.POSTGRES_SERVER_LOG
                && action.equals(e.getAction())
                && e.getObjects().stream().anyMatch(o -> name.equals(o.getObjectName()));
    }

    /** An agent action event from {@code source} whose input holds the marker. */
    static Predicate<AuditEvent> agentAction(AuditSource source, String marker) {
        return e -> e.getSource() == source && contains(e.getStatement(), marker);
    }

    /** A DELETE statement event on the table {@code identity} (schema-qualified). */
    static Predicate<AuditEvent> deleteOn(String identity) {
        return e -> e.getSource() == AuditSource.POSTGRES_EVENT_TRIGGER
                && "DELETE".equals(e.getAction())
                && e.getObjects().stream().anyMatch(o -> identity.equals(o.getIdentity()));
    }

    /** Any agent action event of {@code principal} from {@code source}. */
    static Predicate<AuditEvent> agentOf(AuditSource source, String principal) {
        return e -> e.getSource() == source && principal.equals(e.getPrincipal());
    }

    private static boolean contains(String text, String marker) {
        return text != null && text.contains(marker);
    }
}
