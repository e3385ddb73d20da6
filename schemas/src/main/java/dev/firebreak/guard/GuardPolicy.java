package dev.firebreak.guard;

import java.util.List;

/**
 * Everything the in-database guard enforces: its rules and the exceptions that apply to them.
 * Pure data, shared by the rules reader (detection) and the installer (ingest).
 */
public record GuardPolicy(List<GuardRule> rules, List<GuardException> exceptions) {
    /** No guard rules: every statement passes (capture and the locked-role check still apply). */
    public static final GuardPolicy NONE = new GuardPolicy(List.of(), List.of());

    public GuardPolicy {
        rules = List.copyOf(rules);
        exceptions = List.copyOf(exceptions);
    }
}
