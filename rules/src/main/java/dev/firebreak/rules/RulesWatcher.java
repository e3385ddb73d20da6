package dev.firebreak.rules;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a rules file or folder and hands over a new, fully validated rule set whenever the files
 * change (once the edit has settled, see {@link FilePoller}). An invalid edit is reported and
 * changes nothing: the rules in force stay in force.
 */
public final class RulesWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RulesWatcher.class);

    /** Receives what a change produced. Called on the watcher's thread. */
    public interface Listener {
        void onRules(List<DetectionRule> rules);

        void onInvalid(RulesFileException problem);

        /** The whole validated set, guards included; by default only its detection rules matter. */
        default void onRuleSet(RulesLoader.RuleSet set) {
            onRules(set.rules());
        }
    }

    /** What changed between two rule sets, by id. A renamed rule is one removed and one added. */
    public record Diff(Set<String> added, Set<String> removed, Set<String> changed) {
        public static Diff between(List<DetectionRule> before, List<DetectionRule> after) {
            Set<String> added = new TreeSet<>();
            Set<String> changed = new TreeSet<>();
            Set<String> removed = new TreeSet<>();
            before.forEach(r -> removed.add(r.id()));
            for (DetectionRule rule : after) {
                DetectionRule old = before.stream().filter(r -> r.id().equals(rule.id())).findFirst().orElse(null);
                if (old == null) {
                    added.add(rule.id());
                } else if (!old.equals(rule)) {
                    changed.add(rule.id());
                }
                removed.remove(rule.id());
            }
            return new Diff(added, removed, changed);
        }

        public boolean isEmpty() {
            return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
        }
    }

    private final Path path;
    private final Listener listener;
    private final FilePoller poller;

    public RulesWatcher(Path path, Duration interval, Listener listener) {
        this.path = path;
        this.listener = listener;
        this.poller = new FilePoller(path, interval, this::reload, "firebreak-rules-watcher");
    }

    public RulesWatcher start() {
        poller.start();
        return this;
    }

    private void reload() {
        try {
            RulesLoader.RuleSet set = RulesLoader.load(path, Instant.now());
            set.warnings().forEach(w -> LOG.warn("rules: {}", w));
            listener.onRuleSet(set);
        } catch (RulesFileException e) {
            listener.onInvalid(e);
        }
    }

    @Override
    public void close() {
        poller.close();
    }
}
