package dev.firebreak.killswitch.kafka;

import dev.firebreak.schema.Principal;
import dev.firebreak.killswitch.ReinstateRequest;
import dev.firebreak.killswitch.Revocation;
import dev.firebreak.killswitch.RevokeRequest;
import dev.firebreak.killswitch.Revoker;
import dev.firebreak.schema.RevocationOutcome;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateAclsOptions;
import org.apache.kafka.clients.admin.DeleteAclsOptions;
import org.apache.kafka.clients.admin.DescribeAclsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locks Kafka principals of one cluster out ({@code kafka:<cluster>/<principal>}, e.g.
 * {@code kafka:main/User:agent-7}; a bare name means {@code User:<name>}) with DENY ACLs.
 *
 * <p>A revocation creates DENY ALL bindings from host {@code *} on TOPIC {@code *}, GROUP {@code *},
 * TRANSACTIONAL_ID {@code *} (all LITERAL) and CLUSTER {@code kafka-cluster}, then polls describeAcls
 * until the broker serves every one of them: the broker applies ACLs from the metadata log shortly after
 * the controller commits them. In {@code StandardAuthorizer} a deny beats any allow, so the principal's
 * next request fails with an authorization error; its ACLs otherwise stay as they were. Kafka has no
 * API to drop a principal's open connections, so "sessions" are not terminated: the deny takes effect
 * on each connection's next request. Super users ({@code super.users}) bypass ACLs altogether and must
 * be listed in the protected principals.
 *
 * <p>The previous state is exactly the bindings this revocation created (not those that already
 * existed); reinstating deletes those and nothing else, so pre-existing allows and denies survive a
 * revoke/reinstate cycle. A retry of the same command (same command id) after a timeout remembers
 * what its earlier attempt created, so the bindings it made are still reported and reinstatable.
 *
 * <p>One Admin client is opened and warmed when the revoker is built. Every Admin call waits at most
 * {@code request.timeout.ms}, cut to what is left of the request's deadline. Timeouts and unreachable
 * brokers are retryable failures; authorization failures are not and name the missing operation. The
 * revoker's principal needs DESCRIBE and ALTER on CLUSTER {@code kafka-cluster}.
 */
public final class KafkaAclRevoker implements Revoker {
    /** The {@link Revoker#kind()} of Kafka principals. */
    public static final String KIND = "kafka";
    private static final Logger log = LoggerFactory.getLogger(KafkaAclRevoker.class);
    private static final String ACL_RIGHTS = "DESCRIBE and ALTER on CLUSTER " + CreatedBindings.CLUSTER_RESOURCE
            + " (to read and write ACLs)";
    private static final String NO_AUTHORIZER = "the cluster has no authorizer (authorizer.class.name), so ACLs can be"
            + " neither written nor enforced";
    /** Between describeAcls polls while the broker catches up with the controller. */
    private static final long CONFIRM_POLL_NANOS = 2_000_000;
    /** Commands whose bindings are remembered for retries; older ones are forgotten first. */
    private static final int PENDING_LIMIT = 1024;

    private final KafkaAclRevokerConfig config;
    private final Set<String> protectedPrincipals;
    private final Admin admin;
    /** Per command id and principal: bindings an attempt created that no REVOKED answer has reported yet. */
    private final Map<String, Set<AclBinding>> pending = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Set<AclBinding>> eldest) {
            return size() > PENDING_LIMIT;
        }
    };

    private KafkaAclRevoker(KafkaAclRevokerConfig config, Admin admin) {
        this.config = config;
        this.protectedPrincipals = Set.copyOf(config.protectedPrincipals());
        this.admin = admin;
    }

    /**
     * The revoker of the {@value KafkaAclRevokerConfig#PREFIX}{@code *} block of {@code targetBlocks}
     * (full keys), opened; empty when the block is absent.
     *
     * @throws IllegalArgumentException when the block is invalid
     * @throws IllegalStateException    when the cluster cannot be reached
     */
    public static Optional<KafkaAclRevoker> fromConfig(Map<String, String> targetBlocks) {
        if (!KafkaAclRevokerConfig.present(targetBlocks)) {
            return Optional.empty();
        }
        return Optional.of(open(KafkaAclRevokerConfig.fromMap(targetBlocks)));
    }

    /**
     * Creates the Admin client and warms it (metadata and a connection to a broker). Fails start-up if
     * no broker answers within the request timeout.
     */
    public static KafkaAclRevoker open(KafkaAclRevokerConfig config) {
        return open(config, Admin.create(adminProperties(config)));
    }

    /** With a given Admin client, which the revoker closes; for tests that interpose on it. */
    static KafkaAclRevoker open(KafkaAclRevokerConfig config, Admin admin) {
        KafkaAclRevoker revoker = new KafkaAclRevoker(config, admin);
        try {
            long timeout = config.requestTimeout().toMillis();
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout)).nodes().get(timeout, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            revoker.close();
            throw new IllegalStateException("interrupted while connecting to Kafka cluster " + config.cluster(), e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            revoker.close();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("kill switch cannot reach Kafka cluster " + config.cluster() + " at "
                    + config.bootstrapServers() + " as " + config.selfPrincipal() + ": " + cause, cause);
        }
        log.info("kill switch connected to Kafka cluster {} as {}", config.cluster(), config.selfPrincipal());
        return revoker;
    }

    static Properties adminProperties(KafkaAclRevokerConfig config) {
        Properties props = new Properties();
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "firebreak-killswitch-" + config.cluster());
        // Brokers that drop out come back quickly in the kill switch's eyes: retries are its own.
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        props.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "20");
        props.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "200");
        props.putAll(config.adminOverrides());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(config.requestTimeout().toMillis()));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(config.requestTimeout().toMillis()));
        return props;
    }

    @Override
    public boolean handles(Principal target) {
        return Principal.KAFKA.equals(target.namespace()) && config.cluster().equals(target.scope());
    }

    @Override
    public String describe() {
        return Principal.prefix(Principal.KAFKA) + config.cluster() + "/*";
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** The revoker's own principal, which it refuses to revoke. */
    public String selfPrincipal() {
        return config.selfPrincipal();
    }

    @Override
    public synchronized Revocation revoke(Principal target, RevokeRequest request) {
        if (!handles(target)) {
            return Revocation.failed("not a principal of Kafka cluster " + config.cluster() + ": " + target);
        }
        KafkaPrincipal principal;
        try {
            principal = KafkaPrincipals.parse(target.name());
        } catch (IllegalArgumentException e) {
            return Revocation.failed(e.getMessage());
        }
        String refusal = refusal(principal);
        if (refusal != null) {
            return request.dryRun() ? Revocation.of(RevocationOutcome.DRY_RUN, "dry run, nothing changed: would refuse: " + refusal)
                    : Revocation.of(RevocationOutcome.REFUSED_PROTECTED, "refused, nothing changed: " + refusal);
        }
        long started = System.nanoTime();
        String key = request.commandId() + '\u0000' + principal;
        Set<AclBinding> wanted = CreatedBindings.denyAll(principal);
        AclOperation needed = AclOperation.DESCRIBE; // what the call in flight needs, for an authorization failure
        try {
            Set<AclBinding> missing = new HashSet<>(wanted);
            missing.removeAll(denials(principal, request.deadlineNanos()));
            if (request.dryRun()) {
                return Revocation.of(RevocationOutcome.DRY_RUN, "dry run, nothing changed: " + (missing.isEmpty()
                        ? "every deny binding is already present" : "would create deny bindings " + describe(missing)));
            }
            Set<AclBinding> created = pending.getOrDefault(key, Set.of());
            if (missing.isEmpty() && created.isEmpty()) {
                return Revocation.of(RevocationOutcome.ALREADY_REVOKED,
                        "every deny binding of " + principal + " was already present, nothing to do");
            }
            if (!missing.isEmpty()) {
                created = union(created, missing);
                pending.put(key, created); // before the call: a timed-out create may still have been applied
                needed = AclOperation.ALTER;
                KafkaFuture<Void> done = admin.createAcls(missing, new CreateAclsOptions().timeoutMs(timeoutMs(request.deadlineNanos()))).all();
                done.get(timeoutMs(request.deadlineNanos()), TimeUnit.MILLISECONDS);
            }
            long createdAt = System.nanoTime();
            needed = AclOperation.DESCRIBE;
            int polls = confirmPresent(principal, wanted, request.deadlineNanos());
            pending.remove(key);
            return Revocation.revoked(String.format(Locale.ROOT, "created deny bindings %s, all %d confirmed by describeAcls"
                            + " (create %.2f ms, confirm %.2f ms, %d polls); the principal is refused from its next request,"
                            + " open connections are not closed (Kafka has no API for that)", describe(created), wanted.size(),
                    (createdAt - started) / 1e6, (System.nanoTime() - createdAt) / 1e6, polls),
                    CreatedBindings.of(principal, created).toJson());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Revocation.failed("interrupted while revoking " + target);
        } catch (ExecutionException | java.util.concurrent.TimeoutException | DeadlineException e) {
            Revocation failed = failure("revoke " + target, e, needed);
            if (!failed.retryable()) {
                pending.remove(key); // no retry of this command follows
            }
            return failed;
        }
    }

    @Override
    public synchronized Revocation reinstate(Principal target, ReinstateRequest request) {
        if (!handles(target)) {
            return Revocation.failed("not a principal of Kafka cluster " + config.cluster() + ": " + target);
        }
        Set<AclBinding> toDelete;
        KafkaPrincipal principal;
        try {
            principal = KafkaPrincipals.parse(target.name());
            toDelete = CreatedBindings.parse(request.previousState(), principal);
        } catch (IllegalArgumentException e) {
            return Revocation.failed("cannot reinstate " + target + ": " + e.getMessage());
        }
        if (request.dryRun()) {
            return Revocation.of(RevocationOutcome.DRY_RUN, "dry run, nothing changed: would delete deny bindings "
                    + describe(toDelete) + ", leaving every other ACL of " + principal);
        }
        AclOperation needed = AclOperation.ALTER;
        try {
            if (!toDelete.isEmpty()) {
                List<AclBindingFilter> filters = toDelete.stream().map(AclBinding::toFilter).toList();
                admin.deleteAcls(filters, new DeleteAclsOptions().timeoutMs(timeoutMs(request.deadlineNanos())))
                        .all().get(timeoutMs(request.deadlineNanos()), TimeUnit.MILLISECONDS);
            }
            needed = AclOperation.DESCRIBE;
            int polls = confirmAbsent(principal, toDelete, request.deadlineNanos());
            return Revocation.of(RevocationOutcome.REINSTATED, "deleted deny bindings " + describe(toDelete)
                    + ", confirmed gone by describeAcls (" + polls + " polls); other ACLs of " + principal + " untouched");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Revocation.failed("interrupted while reinstating " + target);
        } catch (ExecutionException | java.util.concurrent.TimeoutException | DeadlineException e) {
            return failure("reinstate " + target, e, needed);
        }
    }

    @Override
    public List<String> missingPrivileges() {
        long deadline = System.nanoTime() + config.requestTimeout().toNanos();
        List<String> missing = new ArrayList<>();
        try {
            admin.describeAcls(AclBindingFilter.ANY, new DescribeAclsOptions().timeoutMs(timeoutMs(deadline)))
                    .values().get(timeoutMs(deadline), TimeUnit.MILLISECONDS);
            Set<AclOperation> granted = admin.describeCluster(new DescribeClusterOptions()
                            .includeAuthorizedOperations(true).timeoutMs(timeoutMs(deadline)))
                    .authorizedOperations().get(timeoutMs(deadline), TimeUnit.MILLISECONDS);
            if (granted != null && !granted.contains(AclOperation.ALTER) && !granted.contains(AclOperation.ALL)) {
                missing.add("ALTER on CLUSTER " + CreatedBindings.CLUSTER_RESOURCE + " (to write ACLs)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            missing.add("(check interrupted)");
        } catch (ExecutionException | java.util.concurrent.TimeoutException | DeadlineException e) {
            Throwable cause = cause(e);
            if (cause instanceof ClusterAuthorizationException) {
                missing.add(ACL_RIGHTS);
            } else if (cause instanceof SecurityDisabledException) {
                missing.add(NO_AUTHORIZER);
            } else {
                missing.add("(could not check the privileges on Kafka cluster " + config.cluster() + ": " + cause + ")");
            }
        }
        return List.copyOf(missing);
    }

    /** Why the principal must not be revoked, or null. */
    private String refusal(KafkaPrincipal principal) {
        if (principal.toString().equals(config.selfPrincipal())) {
            return principal + " is the kill switch's own principal";
        }
        if (protectedPrincipals.contains(principal.toString())) {
            return principal + " is in the configured protected list";
        }
        if (KafkaPrincipals.isWildcard(principal)) {
            return principal + " is a wildcard: it would deny every principal of its type";
        }
        return null;
    }

    /** The principal's DENY ALL from-anywhere bindings as the broker serves them. */
    private Collection<AclBinding> denials(KafkaPrincipal principal, long deadlineNanos)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        AclBindingFilter filter = new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter(
                principal.toString(), CreatedBindings.ANY_HOST, AclOperation.ALL, AclPermissionType.DENY));
        return admin.describeAcls(filter, new DescribeAclsOptions().timeoutMs(timeoutMs(deadlineNanos)))
                .values().get(timeoutMs(deadlineNanos), TimeUnit.MILLISECONDS);
    }

    private int confirmPresent(KafkaPrincipal principal, Set<AclBinding> wanted, long deadlineNanos)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        for (int polls = 1; ; polls++) {
            if (denials(principal, deadlineNanos).containsAll(wanted)) {
                return polls;
            }
            LockSupport.parkNanos(CONFIRM_POLL_NANOS);
        }
    }

    private int confirmAbsent(KafkaPrincipal principal, Set<AclBinding> deleted, long deadlineNanos)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        for (int polls = 1; ; polls++) {
            if (denials(principal, deadlineNanos).stream().noneMatch(deleted::contains)) {
                return polls;
            }
            LockSupport.parkNanos(CONFIRM_POLL_NANOS);
        }
    }

    /** What is left of the request timeout and the deadline, whichever is shorter; never zero. */
    private int timeoutMs(long deadlineNanos) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (left <= 0) {
            throw new DeadlineException();
        }
        return (int) Math.min(config.requestTimeout().toMillis(), left);
    }

    private Revocation failure(String action, Exception e, AclOperation needed) {
        Throwable cause = cause(e);
        if (cause instanceof DeadlineException) {
            return Revocation.retryable("could not " + action + " before the deadline");
        }
        if (cause instanceof java.util.concurrent.TimeoutException || cause instanceof RetriableException) {
            return Revocation.retryable("could not " + action + " on Kafka cluster " + config.cluster()
                    + " (unreachable or timed out): " + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        }
        if (cause instanceof ClusterAuthorizationException) {
            return Revocation.failed("not authorized to " + action + ": " + config.selfPrincipal() + " lacks " + needed
                    + " on CLUSTER " + CreatedBindings.CLUSTER_RESOURCE + " (the kill switch needs DESCRIBE and ALTER on it)");
        }
        if (cause instanceof SecurityDisabledException) {
            return Revocation.failed("cannot " + action + ": " + NO_AUTHORIZER);
        }
        return Revocation.failed("Kafka error while trying to " + action + ": " + cause);
    }

    private static Throwable cause(Exception e) {
        return e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    }

    private static Set<AclBinding> union(Set<AclBinding> a, Set<AclBinding> b) {
        Set<AclBinding> out = new HashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }

    private static String describe(Collection<AclBinding> bindings) {
        TreeSet<String> names = new TreeSet<>();
        bindings.forEach(b -> names.add(b.pattern().resourceType() + " " + b.pattern().name()));
        return names.toString();
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(1));
    }

    /** The request's deadline passed before the next Admin call. */
    private static final class DeadlineException extends RuntimeException {
        DeadlineException() {
            super("deadline passed", null, false, false);
        }
    }
}
