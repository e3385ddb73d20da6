package dev.firebreak.ingest.preflight;

import dev.firebreak.schema.PreflightDecision;
import dev.firebreak.schema.PreflightVerdict;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Decides on one action from the rules and the principal's live state, and records what it refused
 * or held. The HTTP side (parsing, tokens, the audit event) is {@code AgentActionEndpoint}'s.
 */
public final class PreflightService {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PreflightConfig config;
    private final DecisionEngine engine;
    private final LiveState state;
    private final DecisionRecorder recorder;

    public PreflightService(PreflightConfig config, DecisionEngine engine, LiveState state, DecisionRecorder recorder) {
        this.config = config;
        this.engine = engine;
        this.state = state;
        this.recorder = recorder;
    }

    /**
     * A decision made.
     *
     * @param id       the decision id (random, unguessable)
     * @param outcome  what the rules said
     * @param record   the record of a deny or ask (null for allow)
     * @param recorded Kafka's acknowledgement of {@code record} (null for allow)
     */
    public record Decided(String id, DecisionEngine.Outcome outcome, PreflightDecision record, Future<RecordMetadata> recorded) {
    }

    /**
     * Decides on {@code action} at {@code nowUs}; a deny or an ask is applied to the live state at once
     * (so the next decision sees it) and sent to the decisions topic.
     *
     * @param input the action's input, cut to the statement limit
     */
    public Decided decide(ActionFacts action, String input, long nowUs) {
        DecisionEngine.Outcome outcome = engine.decide(action, state.view(action.principal(), action.credential(), nowUs));
        String id = newId();
        if (outcome.decision() == Decision.ALLOW) {
            return new Decided(id, outcome, null, null);
        }
        PreflightDecision record = PreflightDecision.newBuilder()
                .setDecisionId(id)
                .setPrincipal(action.principal())
                .setCredential(action.credential())
                .setDecision(outcome.decision() == Decision.DENY ? PreflightVerdict.DENY : PreflightVerdict.ASK)
                .setRuleId(outcome.ruleId())
                .setReason(outcome.reason())
                .setDestructive(action.destructive())
                .setCategory(action.category())
                .setTargetEnvironment(action.targetEnvironment())
                .setTool(action.tool())
                .setInput(input)
                .setDecidedTimeUs(nowUs)
                .setExpiresTimeUs(nowUs + config.askTimeoutMs() * 1000)
                .build();
        state.onDecision(record);
        return new Decided(id, outcome, record, recorder.record(record));
    }

    /** Where decision {@code id} stands. */
    public LiveState.Status status(String id, long nowUs) {
        return state.status(id, nowUs);
    }

    /** The recorded decision {@code id}, if known. */
    public Optional<PreflightDecision> decision(String id) {
        return state.decision(id);
    }

    /** The live state this service reads. */
    public LiveState state() {
        return state;
    }

    public PreflightConfig config() {
        return config;
    }

    private static String newId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return "d-" + HexFormat.of().formatHex(bytes);
    }
}
