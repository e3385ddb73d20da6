package dev.firebreak.launcher.corpus;

import dev.firebreak.schema.Principal;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.stack.PostgresService;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What a corpus case may do against the stack: create login roles (lockable by the kill switch)
 * with their own schema, run SQL as them or as the operator, post agent actions, link credentials.
 * Role names carry the run's prefix so that every case acts as principals no other case uses.
 */
public final class CorpusContext {
    private final PostgresService postgres;
    private final String cluster;
    private final String prefix;
    private final RoleSetup roleSetup;
    private final AgentEndpoint agents;
    private final Map<String, String> kafkaAdmin;
    private final String registryUrl;
    private final Consumer<String> notes;

    /** Makes a fresh role lockable by the kill switch (grants to Firebreak's lock function). */
    @FunctionalInterface
    public interface RoleSetup {
        void lockable(Connection admin, String role) throws SQLException;
    }

    /** The agent-action endpoint and one of its bearer tokens. */
    public record AgentEndpoint(String url, String token) {
    }

    CorpusContext(PostgresService postgres, String cluster, String prefix, RoleSetup roleSetup, AgentEndpoint agents,
                  Map<String, String> kafkaAdmin, String registryUrl, Consumer<String> notes) {
        this.postgres = postgres;
        this.cluster = cluster;
        this.prefix = prefix;
        this.roleSetup = roleSetup;
        this.agents = agents;
        this.kafkaAdmin = kafkaAdmin;
        this.registryUrl = registryUrl;
        this.notes = notes;
    }

    /** {@code name} made unique to this case run. */
    public String role(String name) {
        return prefix + "_" + name;
    }

    /** The principal of a role made by {@link #role}. */
    public String principal(String role) {
        return Principal.postgres(cluster, role).format();
    }

    /** A line for the case's notes in the report (what it did, how far it got). */
    public void note(String line) {
        notes.accept(line);
    }

    public PostgresService postgres() {
        return postgres;
    }

    /** A login role owning a schema of the same name (first on its search_path), lockable by the kill switch. */
    public String createRole(String name) throws SQLException {
        String role = role(name);
        admin("CREATE ROLE " + role + " LOGIN PASSWORD '" + password(role) + "'; CREATE SCHEMA " + role + " AUTHORIZATION " + role);
        try (Connection c = postgres.superuserConnection()) {
            roleSetup.lockable(c, role);
        }
        return role;
    }

    public static String password(String role) {
        return "pw-" + role;
    }

    public Connection connect(String role) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", role);
        props.setProperty("password", password(role));
        props.setProperty("ApplicationName", "firebreak-corpus");
        return DriverManager.getConnection(postgres.jdbcUrl(), props);
    }

    /** Runs statements as the operator (superuser), in one round trip. */
    public void admin(String sql) throws SQLException {
        try (Connection c = postgres.superuserConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /**
     * Runs statements as {@code role} on one connection in autocommit; stops at the first statement
     * the guard refuses or the kill switch cuts off (that is how an attack is meant to end), and says so.
     *
     * @return how many statements completed
     */
    public int runAs(String role, String... statements) throws SQLException {
        int done = 0;
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
                done++;
            }
        } catch (SQLException e) {
            if (!stopped(e)) {
                throw e;
            }
            note("stopped after " + done + "/" + statements.length + " statements: " + firstLine(e));
        }
        return done;
    }

    /** Whether the guard refused it (SQLSTATE FB...), the role was locked out, or its session was ended. */
    public static boolean stopped(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String message = e.getMessage() == null ? "" : e.getMessage();
        return state.startsWith("FB") || state.equals("57P01") || state.equals("08006") || state.equals("08003")
                || message.contains("terminating connection") || message.contains("I/O error")
                || message.contains("connection has been closed") || message.contains("not permitted to log in");
    }

    static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    /** Statements paced {@code perSecond}, each its own autocommit, stopping when cut off. */
    public int paced(String role, double perSecond, List<String> statements) throws SQLException, InterruptedException {
        long pause = Math.round(1000 / perSecond);
        int done = 0;
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
                done++;
                Thread.sleep(pause);
            }
        } catch (SQLException e) {
            if (!stopped(e)) {
                throw e;
            }
            note("stopped after " + done + "/" + statements.size() + ": " + firstLine(e));
        }
        return done;
    }

    /** Tables {@code <schema>.t001..} of {@code rows} rows each, created by the operator and owned by {@code owner}. */
    public void tables(String owner, String schema, int n, int rows) throws SQLException {
        StringBuilder sql = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            String t = table(schema, i);
            sql.append("CREATE TABLE ").append(t).append(" (id int PRIMARY KEY, v text, note text);")
                    .append("INSERT INTO ").append(t).append(" SELECT g, md5(g::text), 'x' FROM generate_series(1, ")
                    .append(rows).append(") g;")
                    .append("ALTER TABLE ").append(t).append(" OWNER TO ").append(owner).append(';');
        }
        admin(sql.toString());
    }

    public static String table(String schema, int i) {
        return String.format("%s.t%03d", schema, i);
    }

    /** Statements {@code template} formatted with 1..n (e.g. {@code DROP TABLE s.t%03d}). */
    public static List<String> numbered(String template, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(String.format(template, i));
        }
        return out;
    }

    /** Posts one agent action (JSON as agents send it); returns the HTTP status. */
    public int agentAction(String agentId, String credential, String input, String environment)
            throws IOException, InterruptedException {
        if (agents == null) {
            throw new IllegalStateException("the agent-action endpoint is not running");
        }
        String body = "{\"agent_id\": " + json(agentId) + ", \"run_id\": " + json(prefix) + ", \"credential\": "
                + json(credential) + ", \"tool\": \"bash\", \"input\": " + json(input) + ", \"target_environment\": "
                + json(environment) + "}";
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(agents.url()))
                        .header("Authorization", "Bearer " + agents.token()).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }

    /** Links each credential to {@code owner} as an operator does (a record on the principal-links topic). */
    public void link(String owner, String reason, String... credentials) {
        Properties props = new Properties();
        props.putAll(kafkaAdmin);
        try (KafkaProducer<String, PrincipalLink> producer = new KafkaProducer<>(props, new StringSerializer(),
                new RegistryAvroSerializer<>(PrincipalLink.class, SchemaRegistries.forUrl(registryUrl), false))) {
            for (String credential : credentials) {
                producer.send(new ProducerRecord<>(Topics.PRINCIPAL_LINKS, credential, PrincipalLink.newBuilder()
                        .setPrincipal(credential).setOwner(owner).setReason(reason)
                        .setLinkedTimeUs(System.currentTimeMillis() * 1000).build()));
            }
            producer.flush();
        }
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> b.append(ch);
            }
        }
        return b.append('"').toString();
    }
}
