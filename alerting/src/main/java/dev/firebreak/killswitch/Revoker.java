package dev.firebreak.killswitch;

import java.util.List;

/**
 * Locks out one kind of credential and ends its live sessions. One implementation per target kind
 * (PostgreSQL role, API token, Kafka principal); the {@link KillSwitch} picks the first revoker that
 * {@link #handles handles} a target, so adding a kind is adding one class.
 *
 * <p>Contract: idempotent (a replayed command reports {@code ALREADY_REVOKED} and does no harm);
 * protected targets are refused with {@code REFUSED_PROTECTED} and left untouched; a dry run changes
 * nothing; anything that cannot be confirmed is {@code FAILED}, never reported as done.
 * Implementations are called from one thread at a time.
 */
public interface Revoker extends AutoCloseable {

    /** Whether this revoker is responsible for the target (namespace, and cluster or issuer). */
    boolean handles(Principal target);

    /** A short description for "no revoker" messages, e.g. {@code pg:prod/*}. */
    String describe();

    /**
     * Revokes the target and confirms it.
     *
     * @param target      a principal this revoker {@link #handles}
     * @param backendPids sessions seen in the burst; terminated too if they belong to the target
     * @param dryRun      report what would be done, change nothing
     */
    Revocation revoke(Principal target, List<Integer> backendPids, boolean dryRun);

    @Override
    default void close() {
    }
}
