package dev.firebreak.rules;

import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which audit events a rule looks at: a conjunction of conditions on the event's fields. An unset
 * condition matches everything. Macros are nested matches in {@link #all()} that must match too.
 * Sets of strings compare case-insensitively; regular expressions are case-insensitive too.
 *
 * <ul>
 *   <li>{@code sources}: the capture path ({@link AuditSource});</li>
 *   <li>{@code actions}: the action exactly (command tag, verb or classifier category);</li>
 *   <li>{@code actionRegex}: the whole action matches the expression;</li>
 *   <li>{@code objectTypes}: at least one object of these types (they are also what
 *       {@code objects} and {@code distinct_objects} count);</li>
 *   <li>{@code destructive}: the capture path's or classifier's verdict;</li>
 *   <li>{@code classifications}: the id of the classifier rule that judged the event;</li>
 *   <li>{@code statementRegex}: the expression occurs in the statement or input;</li>
 *   <li>{@code attributes}: each named attribute has one of the values (e.g. target_environment);</li>
 *   <li>{@code blast}: what the event destroyed ({@link BlastCondition}).</li>
 * </ul>
 */
public final class RuleMatch {
    private final Set<AuditSource> sources;
    private final Set<String> actions;
    private final Pattern actionRegex;
    private final Set<String> objectTypes;
    private final Boolean destructive;
    private final Set<String> classifications;
    private final Pattern statementRegex;
    private final Map<String, Set<String>> attributes;
    private final BlastCondition blast;
    private final List<RuleMatch> all;
    // The types objects are counted by: the intersection of every non-empty set, own and nested.
    private final Set<String> countedTypes;

    private RuleMatch(Builder b) {
        sources = Set.copyOf(b.sources);
        actions = upper(b.actions);
        actionRegex = b.actionRegex == null ? null
                : Pattern.compile(b.actionRegex, Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
        objectTypes = lower(b.objectTypes);
        destructive = b.destructive;
        classifications = lower(b.classifications);
        statementRegex = b.statementRegex == null ? null
                : Pattern.compile(b.statementRegex, Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
        Map<String, Set<String>> attrs = new TreeMap<>();
        b.attributes.forEach((k, v) -> attrs.put(k, lower(v)));
        attributes = Map.copyOf(attrs);
        blast = b.blast;
        all = List.copyOf(b.all);
        Set<String> counted = objectTypes.isEmpty() ? null : new HashSet<>(objectTypes);
        for (RuleMatch nested : all) {
            if (!nested.countedTypes.isEmpty()) {
                if (counted == null) {
                    counted = new HashSet<>(nested.countedTypes);
                } else {
                    counted.retainAll(nested.countedTypes);
                }
            }
        }
        countedTypes = counted == null ? Set.of() : Set.copyOf(counted);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether the event meets every condition, nested matches included. */
    public boolean matches(AuditEvent event) {
        if (!sources.isEmpty() && !sources.contains(event.getSource())) {
            return false;
        }
        String action = event.getAction();
        if (!actions.isEmpty() && (action == null || !actions.contains(action.toUpperCase(Locale.ROOT)))) {
            return false;
        }
        if (actionRegex != null && (action == null || !actionRegex.matcher(action).matches())) {
            return false;
        }
        if (destructive != null && destructive != event.getDestructive()) {
            return false;
        }
        if (!classifications.isEmpty() && (event.getClassification() == null
                || !classifications.contains(event.getClassification().toLowerCase(Locale.ROOT)))) {
            return false;
        }
        if (statementRegex != null && (event.getStatement() == null
                || !statementRegex.matcher(event.getStatement()).find())) {
            return false;
        }
        for (Map.Entry<String, Set<String>> condition : attributes.entrySet()) {
            String value = event.getAttributes() == null ? null : event.getAttributes().get(condition.getKey());
            if (value == null || !condition.getValue().contains(value.toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        if (!objectTypes.isEmpty() && !hasObjectOf(event, objectTypes)) {
            return false;
        }
        if (blast != null && !blast.matches(event)) {
            return false;
        }
        for (RuleMatch nested : all) {
            if (!nested.matches(event)) {
                return false;
            }
        }
        return true;
    }

    /** The object types counted by the objects measures; empty for every type. */
    public Set<String> objectTypes() {
        return countedTypes;
    }

    /** Whether an object of this type is counted. */
    public boolean countsObjectType(String objectType) {
        return objectType != null && (countedTypes.isEmpty() || countedTypes.contains(objectType.toLowerCase(Locale.ROOT)));
    }

    private static boolean hasObjectOf(AuditEvent event, Set<String> types) {
        for (AffectedObject object : event.getObjects()) {
            if (object.getObjectType() != null && types.contains(object.getObjectType().toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> upper(Set<String> values) {
        return values.stream().map(v -> v.trim().toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    private static Set<String> lower(Set<String> values) {
        return values.stream().map(v -> v.trim().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** A canonical description: equal matches describe themselves equally. */
    @Override
    public String toString() {
        Map<String, Object> parts = new LinkedHashMap<>();
        if (!sources.isEmpty()) {
            parts.put("source", new TreeSet<>(sources.stream().map(Enum::name).toList()));
        }
        if (!actions.isEmpty()) {
            parts.put("action", new TreeSet<>(actions));
        }
        if (actionRegex != null) {
            parts.put("action_regex", actionRegex.pattern());
        }
        if (!objectTypes.isEmpty()) {
            parts.put("object_type", new TreeSet<>(objectTypes));
        }
        if (destructive != null) {
            parts.put("destructive", destructive);
        }
        if (!classifications.isEmpty()) {
            parts.put("classification", new TreeSet<>(classifications));
        }
        if (statementRegex != null) {
            parts.put("statement_regex", statementRegex.pattern());
        }
        attributes.forEach((k, v) -> parts.put("attributes." + k, new TreeSet<>(v)));
        if (blast != null) {
            parts.put("blast", blast);
        }
        if (!all.isEmpty()) {
            parts.put("macros", all);
        }
        return parts.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RuleMatch other && toString().equals(other.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** Collects conditions; every one left unset matches everything. */
    public static final class Builder {
        private final Set<AuditSource> sources = new HashSet<>();
        private final Set<String> actions = new HashSet<>();
        private String actionRegex;
        private final Set<String> objectTypes = new HashSet<>();
        private Boolean destructive;
        private final Set<String> classifications = new HashSet<>();
        private String statementRegex;
        private final Map<String, Set<String>> attributes = new LinkedHashMap<>();
        private BlastCondition blast;
        private final List<RuleMatch> all = new ArrayList<>();

        private Builder() {
        }

        public Builder sources(Set<AuditSource> values) {
            sources.addAll(values);
            return this;
        }

        public Builder actions(Set<String> values) {
            actions.addAll(values);
            return this;
        }

        /** Throws {@link java.util.regex.PatternSyntaxException} when {@link #build()} compiles a bad one. */
        public Builder actionRegex(String regex) {
            actionRegex = regex;
            return this;
        }

        public Builder objectTypes(Set<String> values) {
            objectTypes.addAll(values);
            return this;
        }

        public Builder destructive(Boolean value) {
            destructive = value;
            return this;
        }

        public Builder classifications(Set<String> values) {
            classifications.addAll(values);
            return this;
        }

        public Builder statementRegex(String regex) {
            statementRegex = regex;
            return this;
        }

        public Builder attribute(String name, Set<String> values) {
            attributes.computeIfAbsent(Objects.requireNonNull(name), k -> new HashSet<>()).addAll(values);
            return this;
        }

        /** Conditions on what the event destroyed; null for none. */
        public Builder blast(BlastCondition condition) {
            blast = condition;
            return this;
        }

        /** A nested match (a macro) that must match as well. */
        public Builder and(RuleMatch nested) {
            all.add(Objects.requireNonNull(nested));
            return this;
        }

        public RuleMatch build() {
            return new RuleMatch(this);
        }
    }
}
