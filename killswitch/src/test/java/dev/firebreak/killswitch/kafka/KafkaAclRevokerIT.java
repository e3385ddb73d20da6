package dev.firebreak.killswitch.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.firebreak.schema.Principal;
import dev.firebreak.killswitch.ReinstateRequest;
import dev.firebreak.killswitch.Revocation;
import dev.firebreak.killswitch.RevokeRequest;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.stack.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Against a real single-broker KRaft cluster with SASL/PLAIN users and {@code StandardAuthorizer}; the
 * revoker connects as {@code firebreak}, which has only DESCRIBE and ALTER on the cluster, as in production.
 * Every test revokes its own agent user, so their order does not matter, except the last, which stops
 * the cluster.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaAclRevokerIT {
    private static final Logger log = LoggerFactory.getLogger(KafkaAclRevokerIT.class);
    private static final String TOPIC = "events";
    private static final String KILL_SWITCH = "firebreak";
    private static final List<String> AGENTS = List.of("agent-a", "agent-b", "agent-c", "agent-d", "agent-e", "agent-f", "other", "ops");

    static EmbeddedKafka kafka;
    static Admin admin;
    static KafkaAclRevoker revoker;
    private final List<AutoCloseable> clients = new ArrayList<>();

    @BeforeAll
    static void startKafka() throws Exception {
        Map<String, String> users = new HashMap<>();
        users.put(KILL_SWITCH, "ks-secret");
        AGENTS.forEach(a -> users.put(a, a + "-secret"));
        kafka = EmbeddedKafka.startSecured(users);
        admin = kafka.admin();
        kafka.createTopics(List.of(TOPIC), Map.of());
        List<AclBinding> grants = new ArrayList<>();
        grants.add(allow(KILL_SWITCH, ResourceType.CLUSTER, "kafka-cluster", AclOperation.DESCRIBE));
        grants.add(allow(KILL_SWITCH, ResourceType.CLUSTER, "kafka-cluster", AclOperation.ALTER));
        for (String agent : AGENTS) {
            grants.add(allow(agent, ResourceType.TOPIC, TOPIC, AclOperation.ALL));
            grants.add(allow(agent, ResourceType.GROUP, "*", AclOperation.ALL));
        }
        admin.createAcls(grants).all().get(30, TimeUnit.SECONDS);
        revoker = KafkaAclRevoker.open(config(KILL_SWITCH, Map.of()));
    }

    @AfterAll
    static void stopKafka() {
        if (revoker != null) {
            revoker.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @AfterEach
    void closeClients() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
    }

    static KafkaAclRevokerConfig config(String user, Map<String, String> extra) {
        Map<String, String> m = new HashMap<>();
        m.put(KafkaAclRevokerConfig.CLUSTER, "main");
        m.put(KafkaAclRevokerConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        m.put(KafkaAclRevokerConfig.PROTECTED_PRINCIPALS, "User:ops");
        kafka.clientProperties(user).forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                m.put(KafkaAclRevokerConfig.ADMIN_PREFIX + k, v);
            }
        });
        m.putAll(extra);
        return KafkaAclRevokerConfig.fromMap(m);
    }

    static AclBinding allow(String user, ResourceType type, String name, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW));
    }

    static Principal target(String user) {
        return Principal.parse("kafka:main/User:" + user);
    }

    static RevokeRequest request(boolean dryRun) {
        return RevokeRequest.of("cmd-" + UUID.randomUUID(), List.of(), dryRun, Duration.ofSeconds(10));
    }

    static ReinstateRequest reinstate(String previousState, boolean dryRun) {
        return ReinstateRequest.of("re-" + UUID.randomUUID(), previousState, "alice", "false positive", dryRun, Duration.ofSeconds(10));
    }

    /** Every ACL of the user, as the broker serves them. */
    static Set<AclBinding> aclsOf(String user) throws Exception {
        AclBindingFilter filter = new AclBindingFilter(ResourcePatternFilter.ANY,
                new AccessControlEntryFilter("User:" + user, null, AclOperation.ANY, AclPermissionType.ANY));
        return new HashSet<>(admin.describeAcls(filter).values().get(30, TimeUnit.SECONDS));
    }

    static long denyCount(Collection<AclBinding> acls) {
        return acls.stream().filter(b -> b.entry().permissionType() == AclPermissionType.DENY).count();
    }

    KafkaProducer<String, String> producer(String user) {
        Properties p = new Properties();
        p.putAll(kafka.clientProperties(user));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        clients.add(producer);
        return producer;
    }

    KafkaConsumer<String, String> consumer(String user) {
        Properties p = new Properties();
        p.putAll(kafka.clientProperties(user));
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "g-" + user + "-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(TOPIC));
        clients.add(consumer);
        return consumer;
    }

    /** Sends one record and returns the error, or null when the broker acknowledged it. */
    static Throwable produceError(KafkaProducer<String, String> producer, String value) {
        try {
            producer.send(new ProducerRecord<>(TOPIC, value)).get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    /** Polls until a record with {@code value} arrives. */
    static void consumes(KafkaConsumer<String, String> consumer, String value) {
        await().pollInSameThread().atMost(Duration.ofSeconds(30)).until(() -> {
            ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
            return java.util.stream.StreamSupport.stream(records.spliterator(), false).anyMatch(r -> r.value().equals(value));
        });
    }

    /** Polls until the consumer fails, returning the error. */
    static Throwable consumeError(KafkaConsumer<String, String> consumer) {
        Throwable[] error = new Throwable[1];
        await().pollInSameThread().atMost(Duration.ofSeconds(30)).until(() -> {
            try {
                consumer.poll(Duration.ofMillis(200));
                return false;
            } catch (RuntimeException e) {
                error[0] = e;
                return true;
            }
        });
        return error[0];
    }

    @Test
    @Order(1)
    void revokedPrincipalIsDeniedByTheBrokerWhileOthersKeepWorking() throws Exception {
        KafkaProducer<String, String> agentProducer = producer("agent-a");
        KafkaConsumer<String, String> agentConsumer = consumer("agent-a");
        assertThat(produceError(agentProducer, "a-before")).isNull();
        consumes(agentConsumer, "a-before");

        Revocation revocation = revoker.revoke(target("agent-a"), request(false));
        log.info("revoke agent-a: {}", revocation.detail());

        assertThat(revocation.outcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(revocation.previousState()).contains("User:agent-a").contains("TOPIC").contains("CLUSTER");
        assertThat(produceError(agentProducer, "a-after")).as("the agent's open producer, next request")
                .isInstanceOf(AuthorizationException.class);
        assertThat(produceError(producer("agent-a"), "a-after-new")).as("a new producer of the agent")
                .isInstanceOf(AuthorizationException.class);
        KafkaProducer<String, String> otherProducer = producer("other");
        assertThat(produceError(otherProducer, "other-after")).isNull();
        assertThat(consumeError(agentConsumer)).as("the agent's open consumer").isInstanceOf(AuthorizationException.class);
        consumes(consumer("other"), "other-after");
    }

    @Test
    @Order(2)
    void replayIsAlreadyRevokedWithoutDuplicatesAndReinstateLetsTheAgentBackIn() throws Exception {
        Revocation first = revoker.revoke(target("agent-b"), request(false));
        Set<AclBinding> afterFirst = aclsOf("agent-b");
        Revocation replay = revoker.revoke(target("agent-b"), request(false));

        assertThat(first.outcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(replay.outcome()).isEqualTo(RevocationOutcome.ALREADY_REVOKED);
        assertThat(replay.previousState()).isEmpty();
        assertThat(aclsOf("agent-b")).isEqualTo(afterFirst);
        assertThat(denyCount(afterFirst)).isEqualTo(4);
        assertThat(produceError(producer("agent-b"), "b-revoked")).isInstanceOf(AuthorizationException.class);

        Revocation back = revoker.reinstate(target("agent-b"), reinstate(first.previousState(), false));
        assertThat(back.outcome()).as(back.detail()).isEqualTo(RevocationOutcome.REINSTATED);
        assertThat(denyCount(aclsOf("agent-b"))).isZero();
        assertThat(produceError(producer("agent-b"), "b-back")).isNull();
        Revocation again = revoker.reinstate(target("agent-b"), reinstate(first.previousState(), false));
        assertThat(again.outcome()).as("a replayed reinstatement").isEqualTo(RevocationOutcome.REINSTATED);
    }

    @Test
    @Order(3)
    void preExistingAclsSurviveRevokeAndReinstate() throws Exception {
        // an operator's own deny, identical to one the kill switch would create: not ours to delete
        AclBinding operatorsDeny = new AclBinding(
                new ResourcePattern(ResourceType.TRANSACTIONAL_ID, "*", PatternType.LITERAL),
                new AccessControlEntry("User:agent-c", "*", AclOperation.ALL, AclPermissionType.DENY));
        admin.createAcls(List.of(operatorsDeny, allow("agent-c", ResourceType.TOPIC, "audit", AclOperation.READ)))
                .all().get(30, TimeUnit.SECONDS);
        await().pollInSameThread().atMost(Duration.ofSeconds(30)).until(() -> aclsOf("agent-c").size() == 4);
        Set<AclBinding> before = aclsOf("agent-c");

        Revocation revocation = revoker.revoke(target("agent-c"), request(false));
        assertThat(revocation.outcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(CreatedBindings.parse(revocation.previousState(), KafkaPrincipals.parse("User:agent-c")))
                .as("only the bindings it created").hasSize(3).doesNotContain(operatorsDeny);
        Set<AclBinding> during = aclsOf("agent-c");
        assertThat(during).containsAll(before).hasSize(before.size() + 3);

        Revocation back = revoker.reinstate(target("agent-c"), reinstate(revocation.previousState(), false));
        assertThat(back.outcome()).isEqualTo(RevocationOutcome.REINSTATED);
        assertThat(aclsOf("agent-c")).isEqualTo(before);
    }

    @Test
    @Order(4)
    void protectedPrincipalsAndTheKillSwitchItselfAreRefused() throws Exception {
        Set<AclBinding> opsBefore = aclsOf("ops");
        Set<AclBinding> selfBefore = aclsOf(KILL_SWITCH);

        assertThat(revoker.revoke(target("ops"), request(false)).outcome()).isEqualTo(RevocationOutcome.REFUSED_PROTECTED);
        Revocation self = revoker.revoke(Principal.parse("kafka:main/" + KILL_SWITCH), request(false));
        assertThat(self.outcome()).isEqualTo(RevocationOutcome.REFUSED_PROTECTED);
        assertThat(self.detail()).contains("own principal");
        assertThat(revoker.revoke(Principal.parse("kafka:main/User:*"), request(false)).outcome())
                .isEqualTo(RevocationOutcome.REFUSED_PROTECTED);

        assertThat(aclsOf("ops")).isEqualTo(opsBefore);
        assertThat(aclsOf(KILL_SWITCH)).isEqualTo(selfBefore);
        assertThat(aclsOf("*")).isEmpty();
        assertThat(produceError(producer("ops"), "ops-still-works")).isNull();
    }

    @Test
    @Order(5)
    void dryRunChangesNothing() throws Exception {
        Set<AclBinding> before = aclsOf("agent-d");

        Revocation dry = revoker.revoke(target("agent-d"), request(true));
        assertThat(dry.outcome()).isEqualTo(RevocationOutcome.DRY_RUN);
        assertThat(dry.detail()).contains("would create deny bindings").contains("TOPIC *").contains("CLUSTER kafka-cluster");
        assertThat(aclsOf("agent-d")).isEqualTo(before);
        assertThat(revoker.revoke(target("ops"), request(true)).detail()).contains("would refuse");

        Revocation revoked = revoker.revoke(target("agent-d"), request(false));
        Set<AclBinding> during = aclsOf("agent-d");
        Revocation dryBack = revoker.reinstate(target("agent-d"), reinstate(revoked.previousState(), true));
        assertThat(dryBack.outcome()).isEqualTo(RevocationOutcome.DRY_RUN);
        assertThat(aclsOf("agent-d")).isEqualTo(during);
        assertThat(revoker.reinstate(target("agent-d"), reinstate(revoked.previousState(), false)).outcome())
                .isEqualTo(RevocationOutcome.REINSTATED);
    }

    @Test
    @Order(6)
    void foreignPreviousStateDeletesNothing() throws Exception {
        Revocation revoked = revoker.revoke(target("agent-e"), request(false));
        Set<AclBinding> during = aclsOf("agent-e");

        Revocation misrouted = revoker.reinstate(target("other"), reinstate(revoked.previousState(), false));
        assertThat(misrouted.outcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(misrouted.detail()).contains("belongs to User:agent-e");
        assertThat(aclsOf("agent-e")).isEqualTo(during);
        revoker.reinstate(target("agent-e"), reinstate(revoked.previousState(), false));
    }

    @Test
    @Order(7)
    void missingPrivilegesAreNamedAndAuthorizationFailuresAreFinal() throws Exception {
        assertThat(revoker.missingPrivileges()).isEmpty();
        try (KafkaAclRevoker unprivileged = KafkaAclRevoker.open(config("other", Map.of()))) {
            assertThat(unprivileged.missingPrivileges())
                    .containsExactly("DESCRIBE and ALTER on CLUSTER kafka-cluster (to read and write ACLs)");
            Revocation r = unprivileged.revoke(target("agent-e"), request(false));
            assertThat(r.outcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(r.retryable()).isFalse();
            assertThat(r.detail()).contains("User:other lacks DESCRIBE on CLUSTER kafka-cluster");
        }
        admin.createAcls(List.of(allow("ops", ResourceType.CLUSTER, "kafka-cluster", AclOperation.DESCRIBE)))
                .all().get(30, TimeUnit.SECONDS);
        try (KafkaAclRevoker readOnly = KafkaAclRevoker.open(config("ops", Map.of(KafkaAclRevokerConfig.PROTECTED_PRINCIPALS, "")))) {
            await().pollInSameThread().atMost(Duration.ofSeconds(30)).until(() -> readOnly.missingPrivileges()
                    .equals(List.of("ALTER on CLUSTER kafka-cluster (to write ACLs)")));
            Set<AclBinding> before = aclsOf("agent-e");
            Revocation r = readOnly.revoke(target("agent-e"), request(false));
            assertThat(r.outcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(r.retryable()).isFalse();
            assertThat(r.detail()).contains("User:ops lacks ALTER on CLUSTER kafka-cluster");
            assertThat(aclsOf("agent-e")).isEqualTo(before);
        }
    }

    @Test
    @Order(8)
    void retryOfACommandWhoseCreateOutlivedItsDeadlineReportsTheBindingsItCreated() throws Exception {
        RevokeRequest first = RevokeRequest.of("cmd-slow", List.of(), false, Duration.ofMillis(1500));
        Admin real = Admin.create(KafkaAclRevoker.adminProperties(config(KILL_SWITCH, Map.of())));
        // The ACLs are created, then the answer comes too late: the situation of a create that timed out.
        Admin slowCreate = (Admin) java.lang.reflect.Proxy.newProxyInstance(Admin.class.getClassLoader(), new Class<?>[] {Admin.class},
                (proxy, method, args) -> {
                    Object result = method.invoke(real, args);
                    if (method.getName().equals("createAcls")) {
                        ((org.apache.kafka.clients.admin.CreateAclsResult) result).all().get(30, TimeUnit.SECONDS);
                        while (!first.expired()) {
                            Thread.sleep(10);
                        }
                    }
                    return result;
                });
        try (KafkaAclRevoker slow = KafkaAclRevoker.open(config(KILL_SWITCH, Map.of()), slowCreate)) {
            Revocation timedOut = slow.revoke(target("agent-f"), first);
            assertThat(timedOut.outcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(timedOut.retryable()).isTrue();
            assertThat(denyCount(aclsOf("agent-f"))).as("created before the deadline passed").isEqualTo(4);

            Revocation retry = slow.revoke(target("agent-f"), RevokeRequest.of("cmd-slow", List.of(), false, Duration.ofSeconds(10)));
            assertThat(retry.outcome()).as(retry.detail()).isEqualTo(RevocationOutcome.REVOKED);
            assertThat(CreatedBindings.parse(retry.previousState(), KafkaPrincipals.parse("agent-f"))).hasSize(4);
            assertThat(slow.revoke(target("agent-f"), request(false)).outcome()).isEqualTo(RevocationOutcome.ALREADY_REVOKED);

            assertThat(slow.reinstate(target("agent-f"), reinstate(retry.previousState(), false)).outcome())
                    .isEqualTo(RevocationOutcome.REINSTATED);
            assertThat(denyCount(aclsOf("agent-f"))).isZero();
        }
    }

    @Test
    @Order(9)
    void revokeDurationsAreLogged() {
        List<Double> revokeMs = new ArrayList<>();
        List<Double> reinstateMs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            Revocation r = revoker.revoke(target("agent-e"), request(false));
            long t1 = System.nanoTime();
            Revocation back = revoker.reinstate(target("agent-e"), reinstate(r.previousState(), false));
            long t2 = System.nanoTime();
            assertThat(r.outcome()).as(r.detail()).isEqualTo(RevocationOutcome.REVOKED);
            assertThat(back.outcome()).as(back.detail()).isEqualTo(RevocationOutcome.REINSTATED);
            revokeMs.add((t1 - t0) / 1e6);
            reinstateMs.add((t2 - t1) / 1e6);
        }
        log.info("kafka revoke ms (create 4 deny ACLs + confirm), 10 runs on 1 embedded broker: {}", summary(revokeMs));
        log.info("kafka reinstate ms (delete + confirm): {}", summary(reinstateMs));
    }

    private static String summary(List<Double> ms) {
        List<Double> sorted = ms.stream().sorted().toList();
        return String.format(java.util.Locale.ROOT, "min %.1f, median %.1f, max %.1f, all %s", sorted.get(0),
                sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1),
                ms.stream().map(d -> String.format(java.util.Locale.ROOT, "%.1f", d)).toList());
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void unreachableClusterIsARetryableFailureWithinTheDeadline() {
        // request timeout at its maximum: only the request's deadline can make the call return early
        KafkaAclRevoker patient = KafkaAclRevoker.open(config(KILL_SWITCH, Map.of(KafkaAclRevokerConfig.REQUEST_TIMEOUT_MS, "60000")));
        clients.add(patient);
        admin.close();
        admin = null;
        kafka.close();
        kafka = null;

        long t0 = System.nanoTime();
        Revocation r = patient.revoke(target("agent-a"), RevokeRequest.of("cmd-dead", List.of(), false, Duration.ofMillis(1500)));
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        log.info("revoke on a stopped cluster answered after {} ms (deadline 1500 ms): {}", elapsedMs, r.detail());

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(r.retryable()).isTrue();
        assertThat(elapsedMs).as("returned because of the deadline, not the 60 s request timeout").isLessThan(30_000);
    }
}
