package dev.firebreak.ingest.classify;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * A compiled {@code kind: sql} rule. Either a parsed-statement rule (statement, object, where,
 * alter; empty sets mean "any") or, when {@code unparsed} is set, a keyword rule for statements the
 * parser cannot read.
 */
record SqlRule(RuleInfo info, Set<String> statements, Set<String> objects, Set<SqlFacts.Where> where,
               Set<String> alter, Pattern unparsed) {

    boolean matches(SqlFacts f) {
        return unparsed == null
                && (statements.isEmpty() || statements.contains(f.statement()))
                && (objects.isEmpty() || (f.object() != null && objects.contains(f.object())))
                && (where.isEmpty() || where.contains(f.where()))
                && (alter.isEmpty() || f.alter().stream().anyMatch(alter::contains));
    }

    boolean matchesUnparsed(String keywords) {
        return unparsed != null && unparsed.matcher(keywords).find();
    }
}
