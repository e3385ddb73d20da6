package dev.firebreak.launcher.rules;

import dev.firebreak.schema.Principal;
import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.detect.DetectionSerdes;
import dev.firebreak.detect.DetectionTopology;
import dev.firebreak.rules.RulesLoader;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.signing.SigningKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Runs a {@link RuleTestFile} through the real detection topology under Kafka's
 * {@link TopologyTestDriver}: each case on a fresh topology with the rules loaded as of its start,
 * its events piped at their explicit times, then every alert and live revoke command compared with
 * the case's expectations per rule and principal.
 */
public final class RuleTestRunner {
    /** What ingest adds between the database clock and capture; only the record timestamp sees it. */
    private static final long CAPTURE_DELAY_US = 3_000;
    private static final Pattern OFFSET = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");
    // Commands are signed as in production; the key never leaves this run.
    private static final SigningKey KEY = SigningKey.of("rule-test-" + UUID.randomUUID() + UUID.randomUUID());

    private RuleTestRunner() {
    }

    /** One case's verdict: the problems found, none when it passed. */
    public record CaseResult(String name, List<String> problems) {
        public CaseResult {
            problems = List.copyOf(problems);
        }

        public boolean passed() {
            return problems.isEmpty();
        }
    }

    /** Runs every case of {@code file}; rule files are resolved against the test file's folder. */
    public static List<CaseResult> run(Path file) {
        RuleTestFile tests = RuleTestFile.read(file);
        Path base = file.toAbsolutePath().getParent();
        List<Path> ruleFiles = tests.ruleFiles().stream().map(base::resolve).map(Path::normalize).toList();
        List<CaseResult> results = new ArrayList<>();
        for (RuleTestFile.Case c : tests.tests()) {
            Instant start = Instant.parse(c.start());
            RulesLoader.RuleSet rules = RuleFiles.load(ruleFiles, start);
            results.add(new CaseResult(c.name(), runCase(c, start, rules.rules())));
        }
        return results;
    }

    private static List<String> runCase(RuleTestFile.Case c, Instant start, List<DetectionRule> rules) {
        String registry = "mem://rule-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        Path stateDir = tempDir();
        DetectionConfig config = new DetectionConfig("firebreak-rule-test", "unused:9092", registry, stateDir, rules,
                null, false, Map.of());
        try (TopologyTestDriver driver = new TopologyTestDriver(DetectionTopology.build(rules, serdes, KEY),
                config.toStreamsProperties())) {
            TestInputTopic<String, AuditEvent> audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(),
                    serdes.auditEvents().serializer());
            TestOutputTopic<String, Alert> alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(),
                    serdes.alerts().deserializer());
            TestOutputTopic<String, RevokeCommand> commands = driver.createOutputTopic(Topics.KILLSWITCH_COMMANDS,
                    new StringDeserializer(), serdes.revokeCommands().deserializer());
            for (AuditEvent event : events(c, start)) {
                audit.pipeInput(event.getPrincipal(), event,
                        Instant.ofEpochMilli((event.getEventTimeUs() + CAPTURE_DELAY_US) / 1000));
            }
            return compare(c, alerts.readValuesToList(), commands.readValuesToList());
        } finally {
            deleteQuietly(stateDir);
        }
    }

    private static List<String> compare(RuleTestFile.Case c, List<Alert> alerts, List<RevokeCommand> commands) {
        Map<String, int[]> seen = new TreeMap<>();
        for (Alert a : alerts) {
            if (a.getKind() == AlertKind.RULE_TRIGGERED) {
                seen.computeIfAbsent(key(a.getRuleId(), a.getPrincipal()), k -> new int[2])[0]++;
            }
        }
        for (RevokeCommand command : commands) {
            if (!command.getDryRun()) {
                seen.computeIfAbsent(key(command.getRuleId(), command.getPrincipal()), k -> new int[2])[1]++;
            }
        }
        List<String> problems = new ArrayList<>();
        Map<String, RuleTestFile.Expectation> expected = new LinkedHashMap<>();
        for (RuleTestFile.Expectation x : c.expect()) {
            expected.put(key(x.rule(), x.principal()), x);
        }
        expected.forEach((k, x) -> {
            int[] got = seen.getOrDefault(k, new int[2]);
            if (got[0] != x.alerts() || got[1] != x.revokes()) {
                problems.add(String.format("%s: expected %d alert(s), %d revoke(s); got %d alert(s), %d revoke(s)",
                        k, x.alerts(), x.revokes(), got[0], got[1]));
            }
        });
        seen.forEach((k, got) -> {
            if (!expected.containsKey(k)) {
                problems.add(String.format("%s: not expected, got %d alert(s), %d revoke(s)", k, got[0], got[1]));
            }
        });
        return problems;
    }

    private static String key(String rule, String principal) {
        return "rule " + rule + " for " + principal;
    }

    /** The case's events in the listed order, repeats expanded, at start + offset. */
    static List<AuditEvent> events(RuleTestFile.Case c, Instant start) {
        List<AuditEvent> events = new ArrayList<>();
        long startUs = start.getEpochSecond() * 1_000_000L + start.getNano() / 1000;
        int n = 0;
        for (RuleTestFile.Event e : c.events()) {
            long at = micros(e.at(), c.name());
            long every = e.every() == null ? 0 : micros(e.every(), c.name());
            int repeat = e.repeat() == null ? 1 : e.repeat();
            for (int i = 0; i < repeat; i++) {
                events.add(event(e, c.name() + "#" + (++n), startUs + at + i * every, i + 1));
            }
        }
        return events;
    }

    private static AuditEvent event(RuleTestFile.Event e, String id, long timeUs, int copy) {
        String principal = e.principal();
        // a test's principal need not be well formed; only a PostgreSQL one gives the event a cluster and a role
        Principal role = Principal.tryParse(principal).filter(p -> p.is(Principal.POSTGRES)).orElse(null);
        String cluster = role != null ? role.scope() : "test";
        AuditSource source = source(e.source());
        Map<String, String> attributes = new LinkedHashMap<>();
        if (source == AuditSource.POSTGRES_EVENT_TRIGGER) {
            attributes.put("origin", "session");
        }
        attributes.putAll(e.attributes());
        return AuditEvent.newBuilder()
                .setEventId(id)
                .setPrincipal(principal)
                .setSource(source)
                .setAction(e.action())
                .setEventTimeUs(timeUs)
                .setCapturedTimeUs(timeUs + CAPTURE_DELAY_US)
                .setCluster(cluster)
                .setSessionUser(role != null ? role.name() : null)
                .setApplicationName(e.applicationName())
                .setStatement(e.statement() == null ? null : e.statement().replace("{n}", Integer.toString(copy)))
                .setObjects(e.objects().stream().map(o -> object(o.replace("{n}", Integer.toString(copy)))).toList())
                .setRowCount(e.rows())
                .setDestructive(e.destructive() != null ? e.destructive() : defaultDestructive(e.action()))
                .setClassification(e.classification())
                .setLinkedPrincipals(e.linkedPrincipals())
                .setAttributes(attributes)
                .build();
    }

    /** As the event trigger path judges: drops, truncates and row deletions and updates destroy. */
    private static boolean defaultDestructive(String action) {
        String a = action.toUpperCase(Locale.ROOT);
        return a.startsWith("DROP ") || a.equals("TRUNCATE") || a.equals("DELETE") || a.equals("UPDATE");
    }

    private static AuditSource source(String name) {
        if (name == null) {
            return AuditSource.POSTGRES_EVENT_TRIGGER;
        }
        try {
            return AuditSource.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("source must be one of " + List.of(AuditSource.values()) + ", not " + name);
        }
    }

    private static AffectedObject object(String spec) {
        String[] parts = spec.trim().split("\\s+");
        if (parts.length < 2 || parts.length > 3 || (parts.length == 3 && !parts[2].equals("cascade"))) {
            throw new IllegalArgumentException("object must read '<type> <identity>' or '<type> <identity> cascade', not '"
                    + spec + "'");
        }
        int dot = parts[1].lastIndexOf('.');
        return AffectedObject.newBuilder().setObjectType(parts[0]).setIdentity(parts[1])
                .setSchemaName(dot > 0 ? parts[1].substring(0, dot) : null)
                .setObjectName(dot > 0 ? parts[1].substring(dot + 1) : parts[1])
                .setOriginal(parts.length == 2).build();
    }

    /** An offset such as 0, 250ms, 1.5s, 2m or 1h, in microseconds. */
    static long micros(String text, String caseName) {
        Matcher m = OFFSET.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("test '" + caseName + "': a time offset reads 0, 250ms, 1.5s, 2m or 1h, not '"
                    + text + "'");
        }
        double value = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        Duration scale = switch (unit) {
            case "ms" -> Duration.ofMillis(1);
            case "m" -> Duration.ofMinutes(1);
            case "h" -> Duration.ofHours(1);
            default -> Duration.ofSeconds(1);
        };
        return Math.round(value * scale.toNanos() / 1000.0);
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("firebreak-rule-test");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a state folder for the test topology", e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is harmless
        }
    }
}
