package dev.firebreak.launcher.bench;

import dev.firebreak.schema.Principal;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.apache.kafka.common.utils.Utils;

/**
 * The detection bench's input, a pure function of its settings and the loaded rules: N audit events
 * from principals drawn by a Zipf law, in a realistic mix that no revoking rule counts up to its
 * threshold, with bursts of the burst rule injected at known places. Half the bursts come from one
 * credential; the other half are spread over two credentials of one owner whose keys hash to
 * different partitions (when there is more than one), each credential below the threshold and the
 * owner at it. The answer key says who must get exactly one command.
 *
 * <p>Principals by Zipf rank r: r%10 = 9 is an agent ({@code agent:}) owning the token of rank r-1
 * and the role of rank r-3 (links, published first as the pipeline does); r%10 = 7, 8 are tokens,
 * the rest PostgreSQL roles {@code pg:bench-c<r%3>/role_<r>}. Event time advances {@link #TICK_US}
 * per event, so the run is a stream of 100,000 events per second of event time.
 */
final class DetectionWorkload {
    /** Event time between consecutive events. */
    static final long TICK_US = 10;
    /** The rule the injected bursts trip (the one the latency budget is for). */
    static final String BURST_RULE = DetectionRule.DEFAULT_ID;
    /** The burst roles' cluster: principals of their own, so no noise adds to a burst. */
    private static final String BURST_CLUSTER = "bench-burst";

    /**
     * @param events     events in all, bursts included
     * @param principals distinct principals the noise is drawn from (Zipf ranks)
     * @param zipf       the Zipf exponent (0: uniform)
     * @param partitions partitions of the audit topic, for the linked bursts' keys
     * @param bursts     bursts injected, every other one across linked credentials
     * @param seed       of every random choice: the same settings give the same events
     * @param startUs    event time of the first event
     */
    record Settings(long events, int principals, double zipf, int partitions, int bursts, long seed, long startUs) {
        Settings {
            if (events < 1 || principals < 10 || partitions < 1 || bursts < 0) {
                throw new IllegalArgumentException("events >= 1, principals >= 10, partitions >= 1, bursts >= 0");
            }
            if (!(zipf >= 0) || zipf > 10) {
                throw new IllegalArgumentException("zipf exponent must be 0..10, was " + zipf);
            }
        }
    }

    /** The noise: what principals do all day. Weights are per mix (PostgreSQL roles, or agents and tokens). */
    enum Noise {
        INSERT(true, 45), UPDATE(true, 25), DELETE(true, 8), CREATE_TABLE(true, 3), ALTER_TABLE_ADD_COLUMN(true, 3),
        CREATE_INDEX(true, 2), DROP_INDEX(true, 1), DROP_OWN_SCRATCH_TABLE(true, 1.5), TRUNCATE_OWN_SCRATCH_TABLE(true, 1),
        /** A table someone else created, dropped once by a principal that drops nothing else: below every threshold. */
        DROP_TABLE_ONCE(true, 0.5),
        AGENT_READ(false, 95), AGENT_DELETE_IN_STAGING(false, 5);

        final boolean postgres;
        final double weight;

        Noise(boolean postgres, double weight) {
            this.postgres = postgres;
            this.weight = weight;
        }

        /** Drawn for any principal any number of times; the others once per principal at most. */
        boolean repeatable() {
            return this != DROP_TABLE_ONCE;
        }
    }

    /** What iterating the events saw. */
    record Stats(long events, long distinctPrincipals, Map<Noise, Long> noise, long burstEvents) {
    }

    private final Settings settings;
    private final ZipfSampler zipf;
    private final List<Noise> pgMix;
    private final List<Noise> agentMix;
    private final List<String> notes = new ArrayList<>();
    private final List<BurstKey> answerKey = new ArrayList<>();
    private final List<PrincipalLink> burstLinks = new ArrayList<>();
    private final Map<Long, AuditEvent> burstEvents = new HashMap<>();
    private final long burstSize;

    private DetectionWorkload(Settings settings, DetectionRule burstRule, List<DetectionRule> rules) {
        this.settings = settings;
        this.zipf = new ZipfSampler(settings.principals(), settings.zipf());
        List<DetectionRule> revoking = rules.stream().filter(r -> r.effectiveResponse() == Response.REVOKE).toList();
        List<Noise> kept = new ArrayList<>();
        for (Noise noise : Noise.values()) {
            String why = tripping(noise, revoking);
            if (why == null) {
                kept.add(noise);
            } else {
                notes.add("left out of the mix: " + noise.name().toLowerCase(Locale.ROOT) + " (" + why + ")");
            }
        }
        this.pgMix = kept.stream().filter(n -> n.postgres).toList();
        this.agentMix = kept.stream().filter(n -> !n.postgres).toList();
        if (pgMix.isEmpty() || agentMix.isEmpty()) {
            throw new IllegalArgumentException("the loaded rules count every noise template: " + notes);
        }
        long weight = weight(burstRule, burstEvent(Principal.postgres("x", "y").format(), 0, 0, 0));
        if (weight <= 0) {
            throw new IllegalArgumentException("rule " + burstRule.id() + " does not count a DROP TABLE of one table;"
                    + " the bench's bursts are built for it");
        }
        this.burstSize = (burstRule.threshold() + weight - 1) / weight;
        if (settings.bursts() > 1 && burstSize < 2) {
            throw new IllegalArgumentException("rule " + burstRule.id() + " trips on one event: a burst across linked"
                    + " credentials cannot stay below its threshold on each credential");
        }
        for (DetectionRule other : revoking) {
            if (other != burstRule && weight(other, burstEvent(Principal.postgres("x", "y").format(), 0, 0, 0)) * burstSize >= other.threshold()) {
                notes.add("a burst also trips rule " + other.id() + ": its commands show as unexpected");
            }
        }
        planBursts(burstRule.window());
    }

    /** Plans the workload; fails naming the reason when the rules or settings make a known answer impossible. */
    static DetectionWorkload plan(Settings settings, List<DetectionRule> rules) {
        DetectionRule burstRule = rules.stream().filter(r -> r.id().equals(BURST_RULE)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the rules have no rule " + BURST_RULE));
        if (burstRule.effectiveResponse() != Response.REVOKE) {
            throw new IllegalArgumentException("rule " + BURST_RULE + " does not revoke (shadow or alert only)");
        }
        return new DetectionWorkload(settings, burstRule, rules);
    }

    Settings settings() {
        return settings;
    }

    /** Events per burst: the burst rule's threshold in DROP TABLE events. */
    long burstSize() {
        return burstSize;
    }

    List<BurstKey> answerKey() {
        return List.copyOf(answerKey);
    }

    /** Why some noise was left out, or bursts trip other rules too. */
    List<String> notes() {
        return List.copyOf(notes);
    }

    /** Kafka's default partitioner for a String key: murmur2 of its UTF-8 bytes, as the producer computes it. */
    static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** Every credential-to-owner link: the Zipf agents' token and role, and the linked bursts' credentials. */
    List<PrincipalLink> links() {
        List<PrincipalLink> links = new ArrayList<>();
        for (int owner = 9; owner < settings.principals(); owner += 10) {
            links.add(link(principal(owner - 1), principal(owner)));
            links.add(link(principal(owner - 3), principal(owner)));
        }
        links.addAll(burstLinks);
        return links;
    }

    private PrincipalLink link(String credential, String owner) {
        return PrincipalLink.newBuilder().setPrincipal(credential).setOwner(owner).setReason("detection-bench")
                .setLinkedTimeUs(settings.startUs()).build();
    }

    /** The principal of Zipf rank {@code rank}. */
    static String principal(int rank) {
        return switch (rank % 10) {
            case 9 -> Principal.agent("bench-" + rank).format();
            case 7, 8 -> Principal.token("bench", "tok_" + rank).format();
            default -> Principal.postgres("bench-c" + (rank % 3), "role_" + rank).format();
        };
    }

    private static boolean isPostgres(int rank) {
        return rank % 10 < 7;
    }

    /** A role linked to an owner (whose window it would feed). */
    private boolean isLinked(int rank) {
        return rank % 10 == 6 && rank + 3 < settings.principals() || rank % 10 == 8;
    }

    /** Feeds every event, in order, to {@code sink}; the same events on every call. */
    Stats forEach(Consumer<AuditEvent> sink) {
        SplittableRandom random = new SplittableRandom(settings.seed());
        BitSet seen = new BitSet(settings.principals());
        Map<Noise, Long> counts = new EnumMap<>(Noise.class);
        int nextOnce = settings.principals() - 1;
        long bursts = 0;
        for (long i = 0; i < settings.events(); i++) {
            AuditEvent burst = burstEvents.get(i);
            if (burst != null) {
                sink.accept(burst);
                bursts++;
                continue;
            }
            int rank = zipf.sample(random);
            Noise noise = pick(isPostgres(rank) ? pgMix : agentMix, random);
            if (noise == Noise.DROP_TABLE_ONCE) {
                while (nextOnce >= 0 && (!isPostgres(nextOnce) || isLinked(nextOnce))) {
                    nextOnce--;
                }
                if (nextOnce < settings.principals() / 2) {
                    noise = Noise.INSERT; // every quiet principal dropped its one table already
                } else {
                    rank = nextOnce--;
                }
            }
            seen.set(rank);
            counts.merge(noise, 1L, Long::sum);
            sink.accept(noise(noise, rank, i, random));
        }
        return new Stats(settings.events(), seen.cardinality() + burstPrincipals(), counts, bursts);
    }

    private long burstPrincipals() {
        return answerKey.stream().mapToLong(b -> b.principals().size()).sum();
    }

    private static Noise pick(List<Noise> mix, SplittableRandom random) {
        double total = 0;
        for (Noise n : mix) {
            total += n.weight;
        }
        double u = random.nextDouble() * total;
        for (Noise n : mix) {
            u -= n.weight;
            if (u < 0) {
                return n;
            }
        }
        return mix.get(mix.size() - 1);
    }

    private long timeUs(long index) {
        return settings.startUs() + index * TICK_US;
    }

    // Bursts sit in the middle of equal slots of the stream; a burst's events are spread over at most
    // half the rule's window of event time, so they count together however the stream interleaves.
    private void planBursts(Duration window) {
        int bursts = settings.bursts();
        if (bursts == 0) {
            return;
        }
        long slot = settings.events() / (bursts + 1);
        if (slot < burstSize + 1) {
            throw new IllegalArgumentException(settings.events() + " events cannot hold " + bursts + " bursts of "
                    + burstSize + " events; raise --events or lower --bursts");
        }
        long windowTicks = window.toNanos() / 1000 / TICK_US;
        long gap = Math.max(1, Math.min(slot / (burstSize + 1), windowTicks / 2 / Math.max(1, burstSize - 1)));
        for (int b = 0; b < bursts; b++) {
            boolean linked = b % 2 == 1;
            List<String> credentials = linked ? linkedCredentials(b) : List.of(Principal.postgres(BURST_CLUSTER, "single_" + b).format());
            String expected = linked ? Principal.agent("bench-burst-owner-" + b).format() : credentials.get(0);
            List<Integer> partitions = credentials.stream().map(c -> partitionOf(c, settings.partitions())).toList();
            answerKey.add(new BurstKey(b, linked, expected, credentials, partitions));
            if (linked) {
                credentials.forEach(c -> burstLinks.add(link(c, expected)));
            }
            long start = (b + 1) * slot;
            for (int j = 0; j < burstSize; j++) {
                long index = start + j * gap;
                String credential = credentials.get(j % credentials.size());
                burstEvents.put(index, burstEvent(credential, index, timeUs(index), b * 1000 + j));
            }
        }
    }

    // Two roles of one owner; the second's name is chosen so that its key lands on another partition.
    private List<String> linkedCredentials(int burst) {
        String first = Principal.postgres(BURST_CLUSTER, "owner_" + burst + "_a").format();
        int firstPartition = partitionOf(first, settings.partitions());
        for (int n = 0; n < 1000; n++) {
            String second = Principal.postgres(BURST_CLUSTER, "owner_" + burst + "_b" + n).format();
            if (settings.partitions() == 1 || partitionOf(second, settings.partitions()) != firstPartition) {
                return List.of(first, second);
            }
        }
        throw new IllegalStateException("no second credential on another partition for burst " + burst);
    }

    private static AuditEvent burstEvent(String principal, long index, long timeUs, int table) {
        String role = Principal.parse(principal).name();
        return postgres("bench/" + index, principal, "DROP TABLE", timeUs, role, "DROP TABLE public.ledger_" + table,
                List.of(object("table", "public", "ledger_" + table)), null, true, Map.of("trigger", "sql_drop"));
    }

    private AuditEvent noise(Noise noise, int rank, long index, SplittableRandom random) {
        String principal = principal(rank);
        String id = "bench/" + index;
        long time = timeUs(index);
        String role = "role_" + rank;
        String table = "orders_" + (rank % 50);
        return switch (noise) {
            case INSERT -> postgres(id, principal, "INSERT", time, role,
                    "INSERT INTO public." + table + " (id, customer_id, total) VALUES ($1, $2, $3)",
                    List.of(object("table", "public", table)), 1L + random.nextInt(5), false, Map.of("trigger", "dml"));
            case UPDATE -> postgres(id, principal, "UPDATE", time, role,
                    "UPDATE public." + table + " SET status = $1 WHERE id = $2",
                    List.of(object("table", "public", table)), 1L + random.nextInt(3), true, Map.of("trigger", "dml"));
            case DELETE -> postgres(id, principal, "DELETE", time, role, "DELETE FROM public." + table + " WHERE id = $1",
                    List.of(object("table", "public", table)), 1L + random.nextInt(2), true, Map.of("trigger", "dml"));
            case CREATE_TABLE -> postgres(id, principal, "CREATE TABLE", time, role,
                    "CREATE TABLE public.report_" + index + " (id bigint primary key, payload jsonb)",
                    List.of(object("table", "public", "report_" + index)), null, false, Map.of("trigger", "ddl"));
            case ALTER_TABLE_ADD_COLUMN -> postgres(id, principal, "ALTER TABLE", time, role,
                    "ALTER TABLE public." + table + " ADD COLUMN note text",
                    List.of(object("table", "public", table)), null, false, Map.of("trigger", "ddl"));
            case CREATE_INDEX -> postgres(id, principal, "CREATE INDEX", time, role,
                    "CREATE INDEX " + table + "_created_idx ON public." + table + " (created_at)",
                    List.of(object("index", "public", table + "_created_idx")), null, false, Map.of("trigger", "ddl"));
            case DROP_INDEX -> postgres(id, principal, "DROP INDEX", time, role, "DROP INDEX public." + table + "_created_idx",
                    List.of(object("index", "public", table + "_created_idx")), null, true, Map.of("trigger", "sql_drop"));
            case DROP_OWN_SCRATCH_TABLE -> postgres(id, principal, "DROP TABLE", time, role, "DROP TABLE tmp_" + index,
                    List.of(object("table", "public", "tmp_" + index)), null, true,
                    Map.of("trigger", "sql_drop", "blast_created", "session", "blast_rows", "12", "blast_relations", "1"));
            case TRUNCATE_OWN_SCRATCH_TABLE -> postgres(id, principal, "TRUNCATE", time, role, "TRUNCATE tmp_" + index,
                    List.of(object("table", "public", "tmp_" + index)), null, true,
                    Map.of("trigger", "truncate", "blast_created", "session", "blast_rows", "40", "blast_relations", "1"));
            case DROP_TABLE_ONCE -> postgres(id, principal, "DROP TABLE", time, role, "DROP TABLE public.archive_" + rank,
                    List.of(object("table", "public", "archive_" + rank)), null, true,
                    Map.of("trigger", "sql_drop", "blast_rows", "300", "blast_relations", "1"));
            case AGENT_READ -> agent(id, principal, "sql.read", time, "SELECT id, total FROM orders WHERE customer_id = 42",
                    false, "production");
            case AGENT_DELETE_IN_STAGING -> agent(id, principal, "http.delete", time,
                    "curl -X DELETE https://api.staging.example/v1/volumes/vol_" + rank, true, "staging");
        };
    }

    private static AffectedObject object(String type, String schema, String name) {
        return AffectedObject.newBuilder().setObjectType(type).setSchemaName(schema).setObjectName(name)
                .setIdentity(schema + "." + name).setOriginal(true).build();
    }

    private static AuditEvent postgres(String id, String principal, String action, long timeUs, String role, String statement,
                                       List<AffectedObject> objects, Long rows, boolean destructive, Map<String, String> extra) {
        String cluster = Principal.parse(principal).scope();
        Map<String, String> attributes = new HashMap<>(extra);
        attributes.put("origin", "session");
        attributes.put("target_environment", "production");
        return AuditEvent.newBuilder().setEventId(id).setPrincipal(principal).setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                .setAction(action).setEventTimeUs(timeUs).setCapturedTimeUs(timeUs + 1_000).setCluster(cluster)
                .setDatabase("shop").setSessionUser(role).setEffectiveUser(role).setBackendPid(10_000 + (int) (timeUs % 50_000))
                .setTxid(timeUs / TICK_US).setApplicationName("app").setClientAddr("10.0.0.7").setStatement(statement)
                .setObjects(objects).setRowCount(rows).setLsn(timeUs).setDestructive(destructive).setAttributes(attributes)
                .build();
    }

    private static AuditEvent agent(String id, String principal, String action, long timeUs, String input,
                                    boolean destructive, String environment) {
        return AuditEvent.newBuilder().setEventId(id).setPrincipal(principal).setSource(AuditSource.AGENT_ACTION_HTTP)
                .setAction(action).setEventTimeUs(timeUs).setCapturedTimeUs(timeUs + 1_000).setCluster("agents")
                .setStatement(input).setDestructive(destructive)
                .setAttributes(Map.of("tool", "bash", "target_environment", environment, "run_id", "run-1")).build();
    }

    // Null when the noise stays below every revoking rule: repeatable noise may match none of them,
    // once-per-principal noise must weigh less than each threshold it counts towards.
    private String tripping(Noise noise, List<DetectionRule> revoking) {
        int rank = noise.postgres ? 0 : 9;
        AuditEvent sample = noise(noise, rank, 0, new SplittableRandom(0));
        for (DetectionRule rule : revoking) {
            long weight = weight(rule, sample);
            if (weight > 0 && (noise.repeatable() || weight >= rule.threshold())) {
                return "rule " + rule.id() + " counts it";
            }
        }
        return null;
    }

    /**
     * What {@code event} adds to {@code rule}'s measure, from the rule's public match; measures of
     * blast sizes are taken as unbounded (the noise must not match them at all).
     */
    static long weight(DetectionRule rule, AuditEvent event) {
        if (!rule.match().matches(event)) {
            return 0;
        }
        return switch (rule.measure()) {
            case EVENTS -> 1;
            case ROWS -> event.getRowCount() == null ? 0 : event.getRowCount();
            case OBJECTS -> event.getObjects().stream().filter(o -> rule.counts(o.getObjectType())).count();
            case DISTINCT_OBJECTS -> {
                Set<String> ids = new HashSet<>();
                event.getObjects().stream().filter(o -> rule.counts(o.getObjectType())).forEach(o -> ids.add(o.getIdentity()));
                yield ids.size();
            }
            default -> Long.MAX_VALUE;
        };
    }
}
