package dev.firebreak.detect;

import dev.firebreak.schema.Principal;
import dev.firebreak.schema.PrincipalLink;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which credentials an owner uses, read from the global links store. The store holds the links
 * topic (credential to link) and, written by the same {@link Updater}, an index entry per link
 * ({@link #indexKey}: owner, then credential), so the credentials of an owner are one prefix scan
 * and never a scan of every link. Kafka Streams 4.1 restores a global store added with
 * {@code Topology#addGlobalStore} by running the topic's records through its processor
 * (reprocess on restore), so the index is rebuilt with the links after every restart.
 */
final class PrincipalLinks {
    private static final Logger LOG = LoggerFactory.getLogger(PrincipalLinks.class);
    /** Starts every index key; no principal may contain it, so index keys never meet principal keys. */
    static final char INDEX_MARK = '\u0000';
    private static final String INDEX_PREFIX = INDEX_MARK + "owner" + INDEX_MARK;
    private static final StringSerializer KEYS = new StringSerializer();

    private final KeyValueStore<String, PrincipalLink> store;

    PrincipalLinks(KeyValueStore<String, PrincipalLink> store) {
        this.store = store;
    }

    /** Namespace of identities that hold no credential themselves. */
    static final String IDENTITY_NAMESPACE = Principal.prefix(Principal.AGENT);

    /** The owner of {@code principal}, or null when it is not linked. */
    String ownerOf(String principal) {
        if (principal == null || principal.indexOf(INDEX_MARK) >= 0) {
            return null;
        }
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
        targets.addAll(credentialsOf(group));
        if (targets.stream().anyMatch(t -> !isIdentity(t))) {
            targets.removeIf(PrincipalLinks::isIdentity);
        }
        return List.copyOf(targets);
    }

    /** The credentials linked to {@code owner}: one prefix scan of its index entries. */
    List<String> credentialsOf(String owner) {
        if (owner.indexOf(INDEX_MARK) >= 0) {
            return List.of();
        }
        String prefix = indexPrefix(owner);
        List<String> credentials = new ArrayList<>();
        try (KeyValueIterator<String, PrincipalLink> linked = store.prefixScan(prefix, KEYS)) {
            while (linked.hasNext()) {
                KeyValue<String, PrincipalLink> entry = linked.next();
                if (entry.value != null && owner.equals(entry.value.getOwner())) {
                    credentials.add(entry.key.substring(prefix.length()));
                }
            }
        }
        return credentials;
    }

    private static boolean isIdentity(String principal) {
        return principal.startsWith(IDENTITY_NAMESPACE);
    }

    private static String indexPrefix(String owner) {
        return INDEX_PREFIX + owner + INDEX_MARK;
    }

    /** The index entry of {@code credential} linked to {@code owner}. */
    static String indexKey(String owner, String credential) {
        return indexPrefix(owner) + credential;
    }

    /**
     * The global store's updater: the latest link per credential and its index entry; a tombstone
     * unlinks. Runs for every record read, at start-up (restore) as later.
     */
    static final class Updater implements Processor<String, PrincipalLink, Void, Void> {
        private KeyValueStore<String, PrincipalLink> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(DetectionNames.PRINCIPAL_LINKS_STORE);
        }

        @Override
        public void process(Record<String, PrincipalLink> record) {
            String credential = record.key();
            if (credential == null) {
                return;
            }
            PrincipalLink link = record.value();
            if (credential.indexOf(INDEX_MARK) >= 0 || link != null && link.getOwner().indexOf(INDEX_MARK) >= 0) {
                LOG.warn("principal link of {} to {} ignored: a principal may not contain U+0000",
                        credential.replace(INDEX_MARK, '?'), link == null ? null : link.getOwner().replace(INDEX_MARK, '?'));
                return;
            }
            PrincipalLink previous = store.get(credential);
            if (previous != null && (link == null || !previous.getOwner().equals(link.getOwner()))) {
                store.delete(indexKey(previous.getOwner(), credential));
            }
            if (link == null) {
                store.delete(credential);
            } else {
                store.put(credential, link);
                store.put(indexKey(link.getOwner(), credential), link);
            }
        }
    }
}
