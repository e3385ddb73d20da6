package dev.firebreak.launcher.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A rule unit-test file, as {@code firebreak rules test} reads it: the rule files under test and
 * cases of input events at explicit times with the alerts and revocations each rule must produce.
 * The format is documented in {@code rules/tests/firebreak.test.yaml}.
 *
 * @param ruleFiles rule files or folders, relative to the test file
 * @param tests     the cases, each run on a fresh topology
 */
public record RuleTestFile(@JsonProperty(value = "rule_files", required = true) List<String> ruleFiles,
                           @JsonProperty(value = "tests", required = true) List<Case> tests) {
    /** Events a test may feed at most: the file is operator input, kept to what a unit test needs. */
    static final int MAX_EVENTS = 10_000;
    /** Default start of every test: a whole second, so offsets read plainly against windows. */
    static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

    public RuleTestFile {
        ruleFiles = List.copyOf(ruleFiles == null ? List.of() : ruleFiles);
        tests = List.copyOf(tests == null ? List.of() : tests);
    }

    /**
     * One case.
     *
     * @param name   reported on failure
     * @param start  event time of offset 0 and the time the rules are loaded at (exception expiry)
     * @param events fed in the listed order
     * @param expect every (rule, principal) that alerts or revokes; anything else emitted fails the case
     */
    public record Case(@JsonProperty(value = "name", required = true) String name,
                       @JsonProperty("start") String start,
                       @JsonProperty(value = "events", required = true) List<Event> events,
                       @JsonProperty(value = "expect", required = true) List<Expectation> expect) {
        public Case {
            start = start == null ? DEFAULT_START.toString() : start;
            events = List.copyOf(events == null ? List.of() : events);
            expect = List.copyOf(expect == null ? List.of() : expect);
        }
    }

    /**
     * One input event; {@code repeat} copies of it, {@code every} apart, stand for a loop.
     *
     * @param at        offset from the case's start: 0, 250ms, 1.5s, 2m
     * @param objects   affected objects as {@code "<type> <identity>"}, {@code " cascade"} appended for
     *                  an object that went as a dependency
     * @param rows      the event's row_count
     */
    public record Event(@JsonProperty(value = "at", required = true) String at,
                        @JsonProperty(value = "principal", required = true) String principal,
                        @JsonProperty("source") String source,
                        @JsonProperty(value = "action", required = true) String action,
                        @JsonProperty("statement") String statement,
                        @JsonProperty("objects") List<String> objects,
                        @JsonProperty("rows") Long rows,
                        @JsonProperty("destructive") Boolean destructive,
                        @JsonProperty("classification") String classification,
                        @JsonProperty("application_name") String applicationName,
                        @JsonProperty("linked_principals") List<String> linkedPrincipals,
                        @JsonProperty("attributes") Map<String, String> attributes,
                        @JsonProperty("repeat") Integer repeat,
                        @JsonProperty("every") String every) {
        public Event {
            objects = List.copyOf(objects == null ? List.of() : objects);
            linkedPrincipals = List.copyOf(linkedPrincipals == null ? List.of() : linkedPrincipals);
            attributes = Map.copyOf(attributes == null ? Map.of() : attributes);
        }
    }

    /**
     * What one rule does for one principal in a case.
     *
     * @param alerts  rule alerts (shadow ones included), default 1
     * @param revokes live revoke commands, default 0
     */
    public record Expectation(@JsonProperty(value = "rule", required = true) String rule,
                              @JsonProperty(value = "principal", required = true) String principal,
                              @JsonProperty("alerts") Integer alerts,
                              @JsonProperty("revokes") Integer revokes) {
        public Expectation {
            alerts = alerts == null ? 1 : alerts;
            revokes = revokes == null ? 0 : revokes;
        }
    }

    private static final RuleTestKeys KEYS = new RuleTestKeys(
            java.util.Set.of("rule_files", "tests"),
            java.util.Set.of("name", "start", "events", "expect"),
            java.util.Set.of("at", "principal", "source", "action", "statement", "objects", "rows", "destructive",
                    "classification", "application_name", "linked_principals", "attributes", "repeat", "every"),
            java.util.Set.of("rule", "principal", "alerts", "revokes"));

    /** Reads and checks {@code file}; a problem is reported as {@code file:line: reason}. */
    public static RuleTestFile read(Path file) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        RuleTestFile parsed;
        try {
            KEYS.check(file);
            parsed = yaml.readValue(file.toFile(), RuleTestFile.class);
        } catch (MismatchedInputException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new IllegalArgumentException(file + ":" + line + ": " + e.getOriginalMessage()
                    + " (at " + e.getPathReference().replace("dev.firebreak.launcher.rules.RuleTestFile", "") + ")");
        } catch (IOException e) {
            if (!Files.exists(file)) {
                throw new IllegalArgumentException(file + ": no such test file");
            }
            String message = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            int line = e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null
                    ? j.getLocation().getLineNr() : 0;
            throw new IllegalArgumentException(file + ":" + line + ": " + message);
        }
        parsed.check(file);
        return parsed;
    }

    private void check(Path file) {
        if (ruleFiles.isEmpty()) {
            throw new IllegalArgumentException(file + ": rule_files must name at least one rule file or folder");
        }
        if (tests.isEmpty()) {
            throw new IllegalArgumentException(file + ": tests must hold at least one case");
        }
        long events = 0;
        for (Case c : tests) {
            try {
                Instant.parse(c.start());
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException(file + ": test '" + c.name() + "': start must be an ISO instant such as "
                        + DEFAULT_START + ", not " + c.start());
            }
            for (Event e : c.events()) {
                int repeat = e.repeat() == null ? 1 : e.repeat();
                if (repeat < 1 || repeat > MAX_EVENTS) {
                    throw new IllegalArgumentException(file + ": test '" + c.name() + "': repeat must be 1.." + MAX_EVENTS);
                }
                if (repeat > 1 && e.every() == null) {
                    throw new IllegalArgumentException(file + ": test '" + c.name() + "': repeat needs every (e.g. every: 200ms)");
                }
                events += repeat;
            }
            for (Expectation x : c.expect()) {
                if (x.alerts() < 0 || x.revokes() < 0) {
                    throw new IllegalArgumentException(file + ": test '" + c.name() + "': alerts and revokes are counts >= 0");
                }
            }
        }
        if (events > MAX_EVENTS) {
            throw new IllegalArgumentException(file + ": " + events + " events in all, at most " + MAX_EVENTS);
        }
    }
}
