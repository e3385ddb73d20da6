package dev.firebreak.killswitch;

import dev.firebreak.schema.Principal;
import java.util.List;

/**
 * Locks out one kind of credential and ends its live sessions, and can put it back. One
 * implementation per target kind (PostgreSQL role, Kafka principal, API token behind a webhook);
 * the {@link KillSwitch} picks the first revoker that {@link #handles handles} a target, so adding a
 * kind is adding one class and its config block (see {@link Revokers}).
 *
 * <p>Contract:
 * <ul>
 *   <li>idempotent: a replayed command reports {@code ALREADY_REVOKED} and does no harm;</li>
 *   <li>protected targets, and the revoker's own credential, are refused with {@code REFUSED_PROTECTED}
 *       and left untouched;</li>
 *   <li>a dry run changes nothing and says what it would do ({@code DRY_RUN});</li>
 *   <li>anything that cannot be confirmed is {@code FAILED}, never reported as done; a failure that a
 *       later attempt may cure (target unreachable, timeout) is {@link Revocation#retryable()}, and one
 *       that someone else is about to cure while nothing was changed (a privilege granted on a schedule)
 *       is {@link Revocation#retryableUntilDeadline}, retried until the command's deadline;</li>
 *   <li>a {@code REVOKED} revocation carries {@link Revocation#previousState()}, the state
 *       {@link #reinstate} restores;</li>
 *   <li>the request's deadline is honoured: no network wait outlives it.</li>
 * </ul>
 * Connections and clients are opened when the revoker is built and kept warm. The kill switch calls
 * each revoker from one thread at a time; different revokers run in parallel.
 */
public interface Revoker extends AutoCloseable {

    /** Whether this revoker is responsible for the target (namespace, and cluster or issuer). */
    boolean handles(Principal target);

    /** A short description for "no revoker" messages, e.g. {@code pg:prod/*}. */
    String describe();

    /** Target kind, a bounded metric label and the {@code kind} of results: postgres, kafka, webhook. */
    String kind();

    /** Revokes the target and confirms it. */
    Revocation revoke(Principal target, RevokeRequest request);

    /**
     * Restores the state recorded by an earlier revocation ({@link ReinstateRequest#previousState()}).
     * Outcome {@code REINSTATED} when the target is confirmed back in that state, {@code DRY_RUN} for a
     * dry run, {@code FAILED} otherwise.
     */
    Revocation reinstate(Principal target, ReinstateRequest request);

    /**
     * Privileges this revoker lacks to do its job, each named so an operator can grant it (e.g.
     * {@code "CREATEROLE"}, {@code "ADMIN OPTION on role app_rw"}); empty when nothing is missing.
     * Called at start-up; an entry here is logged at ERROR and exported as a metric.
     */
    default List<String> missingPrivileges() {
        return List.of();
    }

    /**
     * Tells the target that the kill switch is live: called from the command loop every few seconds
     * while it consumes commands and reaches Kafka. A PostgreSQL target records it in
     * {@code firebreak.heartbeat}, which Firebreak's strict mode reads. Never throws; a failure is
     * logged, and the missing beat is what strict mode acts on.
     */
    default void heartbeat() {
    }

    @Override
    default void close() {
    }
}
