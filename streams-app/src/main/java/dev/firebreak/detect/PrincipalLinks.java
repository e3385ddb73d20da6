package dev.firebreak.detect;

import dev.firebreak.schema.PrincipalLink;
import java.util.List;
import java.util.TreeSet;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Which credentials an owner uses, read from the global links store. The store is a plain copy of
 * the compacted links topic (principal to link), so Kafka Streams can restore it byte for byte; the
 * reverse direction is a scan, done only when a burst is emitted.
 */
final class PrincipalLinks {
    private final KeyValueStore<String, PrincipalLink> store;

    PrincipalLinks(KeyValueStore<String, PrincipalLink> store) {
        this.store = store;
    }

    /** Namespace of identities that hold no credential themselves. */
    static final String IDENTITY_NAMESPACE = "agent:";

    /** The owner of {@code principal}, or null when it is not linked. */
    String ownerOf(String principal) {
        PrincipalLink link = store.get(principal);
        return link == null ? null : link.getOwner();
    }

    /**
     * Every principal to revoke with {@code principal}: itself, its owner, and every credential
     * linked to that owner (or to itself, when it is an owner). Sorted, so commands are stable.
     * An identity without a credential of its own ({@code agent:}) is stopped through its
     * credentials, so it is left out when it has any; alone, it stays, and the kill switch reports
     * that it cannot revoke it (a CRITICAL alert: act by hand).
     */
    List<String> revocationTargets(String principal) {
        String owner = ownerOf(principal);
        String group = owner != null ? owner : principal;
        TreeSet<String> targets = new TreeSet<>();
        targets.add(principal);
        if (owner != null) {
            targets.add(owner);
        }
        try (KeyValueIterator<String, PrincipalLink> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, PrincipalLink> entry = all.next();
                if (entry.value != null && group.equals(entry.value.getOwner())) {
                    targets.add(entry.key);
                }
            }
        }
        if (targets.stream().anyMatch(t -> !isIdentity(t))) {
            targets.removeIf(PrincipalLinks::isIdentity);
        }
        return List.copyOf(targets);
    }

    private static boolean isIdentity(String principal) {
        return principal.startsWith(IDENTITY_NAMESPACE);
    }

    /** The global store's updater: the latest link per credential, a tombstone unlinks. */
    static final class Updater implements Processor<String, PrincipalLink, Void, Void> {
        private KeyValueStore<String, PrincipalLink> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(DetectionNames.PRINCIPAL_LINKS_STORE);
        }

        @Override
        public void process(Record<String, PrincipalLink> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }
}
