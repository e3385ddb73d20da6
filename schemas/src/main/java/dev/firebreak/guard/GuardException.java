package dev.firebreak.guard;

import java.time.Instant;
import java.util.Objects;

/**
 * An exception as the guard applies it: statements of matching principals are not judged by the
 * rule while the entry is active. The same entries of {@code exceptions.yaml} that exempt events
 * from detection rules; a {@code *} rule covers every guard too.
 *
 * @param rule            a guard id, or {@code *}
 * @param principal       principal or glob ({@code *} any characters, {@code ?} one), e.g. {@code pg:prod/etl_*}
 * @param applicationName glob over application_name, or null for any
 * @param from            start of a maintenance window (inclusive), or null
 * @param until           end of it (exclusive), or null
 * @param expires         when it stops applying; required
 * @param reason          why it exists; required
 */
public record GuardException(String rule, String principal, String applicationName, Instant from, Instant until,
                             Instant expires, String reason) {
    public GuardException {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(reason, "reason");
    }
}
