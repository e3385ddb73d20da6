package dev.firebreak.rules;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a rules file or folder and hands over a new, fully validated rule set whenever the files
 * change. An invalid edit is reported and changes nothing: the rules in force stay in force.
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
    private final Duration interval;
    private final Listener listener;
    private final Thread thread;
    private volatile boolean running = true;

    public RulesWatcher(Path path, Duration interval, Listener listener) {
        this.path = path;
        this.interval = interval;
        this.listener = listener;
        this.thread = new Thread(this::loop, "firebreak-rules-watcher");
        thread.setDaemon(true);
    }

    public RulesWatcher start() {
        thread.start();
        return this;
    }

    private void loop() {
        List<String> seen = fingerprint();
        while (running) {
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            List<String> now = fingerprint();
            if (!now.equals(seen)) {
                seen = now;
                reload();
            }
        }
    }

    private void reload() {
        try {
            RulesLoader.RuleSet set = RulesLoader.load(path, Instant.now());
            set.warnings().forEach(w -> LOG.warn("rules: {}", w));
            listener.onRuleSet(set);
        } catch (RulesFileException e) {
            listener.onInvalid(e);
        } catch (RuntimeException e) {
            LOG.error("reloading rules from {} failed; the rules in force stay in force", path, e);
        }
    }

    // Name, size and modification time of every rule file: enough to notice an edit, cheap to poll.
    private List<String> fingerprint() {
        List<String> marks = new ArrayList<>();
        try (Stream<Path> files = Files.isDirectory(path) ? Files.list(path) : Stream.of(path)) {
            files.filter(Files::isRegularFile).sorted().forEach(f -> {
                try {
                    marks.add(f + ":" + Files.size(f) + ":" + Files.getLastModifiedTime(f).toMillis());
                } catch (IOException e) {
                    marks.add(f + ":unreadable");
                }
            });
        } catch (IOException e) {
            marks.add(path + ":unlistable");
        }
        return marks;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
