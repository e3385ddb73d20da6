package dev.firebreak.ingest.guard;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.RulesFileException;
import dev.firebreak.rules.RulesLoader;
import dev.firebreak.rules.RulesWatcher;
import dev.firebreak.guard.GuardPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard policy for ingest, read from the same rule files as detection
 * ({@value RulesLoader#RULES_PATH}, or the bundled rules), and kept in step with edits of them.
 */
public final class GuardRules {
    private static final Logger LOG = LoggerFactory.getLogger(GuardRules.class);
    private static final Duration POLL = Duration.ofSeconds(2);

    private GuardRules() {
    }

    /** The guards and their exceptions; a bad rule file fails here, at start-up. */
    public static GuardPolicy load(Map<String, String> settings) {
        return rulesPath(settings).map(p -> RulesLoader.load(p, Instant.now())).orElseGet(() -> RulesLoader.loadBundled(Instant.now()))
                .guards();
    }

    /**
     * Hands every valid edit of the rule files to {@code apply}; an invalid edit changes nothing.
     * Empty when the bundled rules are in use: they cannot change under a running process.
     */
    public static Optional<RulesWatcher> watch(Map<String, String> settings, Consumer<GuardPolicy> apply) {
        return rulesPath(settings).map(path -> new RulesWatcher(path, POLL, new RulesWatcher.Listener() {
            @Override
            public void onRules(List<DetectionRule> rules) {
                // detection reloads its own rules; only the guards matter here
            }

            @Override
            public void onRuleSet(RulesLoader.RuleSet set) {
                try {
                    apply.accept(set.guards());
                } catch (RuntimeException e) {
                    LOG.error("guard policy from {} not applied; the policy in force stays in force", path, e);
                }
            }

            @Override
            public void onInvalid(RulesFileException problem) {
                LOG.error("rule files under {} are invalid; the guard policy in force stays in force: {}", path,
                        problem.getMessage());
            }
        }).start());
    }

    private static Optional<Path> rulesPath(Map<String, String> settings) {
        String path = settings.get(RulesLoader.RULES_PATH);
        return path == null || path.isBlank() ? Optional.empty() : Optional.of(Path.of(path.trim()));
    }
}
