package dev.firebreak.detect;

import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.SigningKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest verified revocation outcome per target, read from the global store
 * {@link DetectionNames#REVOCATION_OUTCOMES_STORE} that {@link Updater} keeps from the kill switch's
 * results. Keyed by target, not by principal, because the kill switch reports one result per
 * target: a command fails for the burst if it failed for any one of its targets, since one live
 * credential is enough to go on.
 */
final class RevocationOutcomes {
    private final KeyValueStore<String, Latest> store;

    RevocationOutcomes(KeyValueStore<String, Latest> store) {
        this.store = store;
    }

    /**
     * The first of {@code targets} whose latest verified result for {@code commandId} says the
     * revocation does not hold: FAILED, or REINSTATED since. Empty while results are pending or
     * every target stayed revoked (REVOKED, ALREADY_REVOKED; REFUSED_PROTECTED and DRY_RUN are
     * deliberate and never re-issued).
     */
    Optional<Latest> notHolding(String commandId, Collection<String> targets) {
        for (String target : targets) {
            Latest latest = store.get(target);
            if (latest != null && latest.commandId().equals(commandId) && latest.notHolding()) {
                return Optional.of(latest);
            }
        }
        return Optional.empty();
    }

    /**
     * What is known of one target: the command of its latest verified REVOKE result and that
     * result's outcome, or {@code REINSTATED} when an operator restored the target after it.
     *
     * @param target    the revoked principal
     * @param commandId the command of the latest verified REVOKE result for the target
     * @param outcome   that result's outcome, or REINSTATED after a verified reinstatement
     */
    record Latest(String target, String commandId, RevocationOutcome outcome) {
        Latest {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(commandId, "commandId");
            Objects.requireNonNull(outcome, "outcome");
        }

        boolean notHolding() {
            return outcome == RevocationOutcome.FAILED || outcome == RevocationOutcome.REINSTATED;
        }
    }

    /**
     * Keeps the store from the results topic. Runs again over the whole topic when the store is
     * restored (Kafka Streams reprocesses global stores fed by a processor), so unverified results
     * are dropped on that path too. A result that fails verification is ignored with a WARN: it
     * could come from anyone who can write the topic, and must neither trigger nor suppress a re-issue.
     */
    static final class Updater implements Processor<String, RevocationResult, Void, Void> {
        private static final Logger LOG = LoggerFactory.getLogger(Updater.class);
        private final SigningKey resultKey;
        private KeyValueStore<String, Latest> store;

        Updater(SigningKey resultKey) {
            this.resultKey = Objects.requireNonNull(resultKey, "resultKey");
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(DetectionNames.REVOCATION_OUTCOMES_STORE);
        }

        @Override
        public void process(Record<String, RevocationResult> record) {
            RevocationResult result = record.value();
            if (result == null || result.getTarget() == null || result.getCommandId() == null) {
                return;
            }
            RecordSignatures.Verification verification = RecordSignatures.verify(result, resultKey);
            if (verification != RecordSignatures.Verification.VALID) {
                LOG.warn("revocation result ignored, {}: rule={} principal={} target={} command={} outcome={}",
                        verification.problem(), result.getRuleId(), result.getPrincipal(), result.getTarget(),
                        result.getCommandId(), result.getOutcome());
                return;
            }
            String target = result.getTarget();
            if (result.getAction() == RevocationAction.REINSTATE) {
                Latest before = store.get(target);
                if (result.getOutcome() == RevocationOutcome.REINSTATED && before != null) {
                    store.put(target, new Latest(target, before.commandId(), RevocationOutcome.REINSTATED));
                }
                return;
            }
            store.put(target, new Latest(target, result.getCommandId(), result.getOutcome()));
        }
    }

    /** Binary form in the store: a version byte, then target, command id and outcome as length-prefixed UTF-8. */
    static final class LatestSerde implements Serde<Latest> {
        private static final byte VERSION = 1;

        @Override
        public Serializer<Latest> serializer() {
            return (topic, latest) -> latest == null ? null : write(latest);
        }

        @Override
        public Deserializer<Latest> deserializer() {
            return (topic, data) -> data == null ? null : read(data);
        }

        private static byte[] write(Latest latest) {
            byte[][] parts = {utf8(latest.target()), utf8(latest.commandId()), utf8(latest.outcome().name())};
            ByteBuffer out = ByteBuffer.allocate(1 + 12 + parts[0].length + parts[1].length + parts[2].length);
            out.put(VERSION);
            for (byte[] part : parts) {
                out.putInt(part.length).put(part);
            }
            return out.array();
        }

        private static Latest read(byte[] data) {
            try {
                ByteBuffer in = ByteBuffer.wrap(data);
                if (in.get() != VERSION) {
                    throw new SerializationException("revocation outcome of version " + data[0] + "; this build reads " + VERSION);
                }
                return new Latest(string(in), string(in), RevocationOutcome.valueOf(string(in)));
            } catch (RuntimeException e) {
                throw e instanceof SerializationException s ? s : new SerializationException("unreadable revocation outcome", e);
            }
        }

        private static byte[] utf8(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }

        private static String string(ByteBuffer in) {
            byte[] bytes = new byte[in.getInt()];
            in.get(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
