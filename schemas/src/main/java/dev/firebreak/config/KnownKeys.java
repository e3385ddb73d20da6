package dev.firebreak.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The keys and open prefixes a set of {@link SettingsDefinition}s declares. */
record KnownKeys(Set<String> keys, List<String> prefixes) {
    static KnownKeys of(List<SettingsDefinition> definitions) {
        Set<String> keys = new TreeSet<>();
        List<String> prefixes = new ArrayList<>();
        for (SettingsDefinition d : definitions) {
            keys.addAll(d.definition().names());
            prefixes.addAll(d.openPrefixes().keySet());
            d.deprecatedAliases().keySet().forEach(old -> (old.endsWith(".") ? prefixes : keys).add(old));
        }
        return new KnownKeys(keys, List.copyOf(prefixes));
    }

    boolean accepts(String key) {
        if (keys.contains(key) || prefixes.stream().anyMatch(key::startsWith)) {
            return true;
        }
        // A stage whose module is not on the class path judges its own keys.
        return Settings.STAGE_NAMESPACES.stream().anyMatch(ns -> key.startsWith(ns) && !declares(ns));
    }

    private boolean declares(String namespace) {
        return keys.stream().anyMatch(k -> k.startsWith(namespace)) || prefixes.stream().anyMatch(p -> p.startsWith(namespace));
    }

    String suggestion(String key) {
        return keys.stream().min(Comparator.comparingInt(k -> distance(k, key)))
                .filter(k -> distance(k, key) <= Math.max(3, key.length() / 5))
                .map(k -> " (did you mean " + k + "?)").orElse("");
    }

    /** Levenshtein distance; keys are short, so the quadratic table is fine. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
