package dev.firebreak.ingest.guard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.firebreak.guard.GuardException;
import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.guard.GuardRule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles the guard rules and their exceptions into the tables the trigger functions read
 * ({@code firebreak.guard_rule}, {@code firebreak.guard_exception}, {@code firebreak.setting}), in
 * one call of {@code firebreak.apply_policy}: one transaction, so statements see the old policy or
 * the new one. No restart of PostgreSQL and no reconnect of any session is needed.
 */
public final class GuardPolicyInstaller {
    private static final Logger LOG = LoggerFactory.getLogger(GuardPolicyInstaller.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final GuardConfig config;
    private final String cluster;

    public GuardPolicyInstaller(GuardConfig config, String cluster) {
        this.config = config;
        this.cluster = cluster;
    }

    /** Replaces the policy in the database; returns the number of rules now in force. */
    public int apply(Connection connection, GuardPolicy policy) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(
                "SELECT firebreak.apply_policy(?::jsonb, ?::jsonb, ?::jsonb)")) {
            st.setString(1, settings().toString());
            st.setString(2, rules(policy).toString());
            st.setString(3, exceptions(policy).toString());
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                int rules = rs.getInt(1);
                LOG.info("guard policy applied: scope {}, {} rules ({}), {} exceptions, strict mode {}", config.scope(), rules,
                        policy.rules().stream().map(r -> r.id() + (r.mode() == GuardRule.Mode.SHADOW ? " (shadow)" : ""))
                                .toList(), policy.exceptions().size(),
                        config.strict() ? "after " + config.strictStaleAfterMs() + " ms without " + config.strictComponents() : "off");
                return rules;
            }
        }
    }

    /**
     * Superuser login roles, which no guard can judge, minus those configured as expected; each is
     * logged at WARN so that nobody believes them guarded.
     */
    public List<String> unguardableSuperusers(Connection connection) throws SQLException {
        List<String> roles = new ArrayList<>();
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT firebreak.unguardable_roles()")) {
            while (rs.next()) {
                String role = rs.getString(1);
                if (!config.expectedSuperusers().contains(role)) {
                    roles.add(role);
                    LOG.warn("guard: superuser login role {} cannot be guarded (a superuser can switch off any control); "
                            + "list it in {} if that is intended, or take SUPERUSER away", role, GuardConfig.EXPECTED_SUPERUSERS);
                }
            }
        }
        return roles;
    }

    private ObjectNode settings() {
        ObjectNode s = JSON.createObjectNode();
        s.put("guard.scope", config.scope());
        s.put("cluster", cluster);
        s.put("objects.max", Integer.toString(config.objectsMax()));
        s.put("dml.immediate.rows", Long.toString(config.dmlImmediateRows()));
        // strict mode (V4): 0 is off; the trigger functions compare the oldest required beat with it
        s.put("guard.strict.stale.after.ms", Long.toString(config.strictStaleAfterMs()));
        s.put("guard.strict.components", String.join(",", config.strictComponents()));
        // blast radius (V6): how long a relation belongs to its creator's run
        s.put("environment", config.environment());
        s.put("blast.run.window.s", Long.toString(config.blastRunWindowS()));
        return s;
    }

    private static ArrayNode rules(GuardPolicy policy) {
        ArrayNode rules = JSON.createArrayNode();
        for (GuardRule r : policy.rules()) {
            ObjectNode o = rules.addObject();
            o.put("id", r.id());
            o.put("kind", r.kind().sqlName());
            o.put("mode", r.mode() == GuardRule.Mode.ENFORCE ? "enforce" : "shadow");
            o.put("threshold", r.threshold());
            o.put("min_rows", r.minRows());
            if (r.fraction() != null) {
                o.put("fraction", r.fraction());
            }
            if (r.window() != null) {
                o.put("window_ms", r.window().toMillis());
            }
            if (!r.spare().isEmpty()) {
                ArrayNode spare = o.putArray("spare");
                r.spare().forEach(spare::add);
            }
        }
        return rules;
    }

    private static ArrayNode exceptions(GuardPolicy policy) {
        ArrayNode exceptions = JSON.createArrayNode();
        for (GuardException e : policy.exceptions()) {
            ObjectNode o = exceptions.addObject();
            o.put("rule", e.rule());
            o.put("principal_pattern", likePattern(e.principal()));
            o.put("application_pattern", e.applicationName() == null ? null : likePattern(e.applicationName()));
            o.put("valid_from", e.from() == null ? null : e.from().toString());
            o.put("valid_until", e.until() == null ? null : e.until().toString());
            o.put("expires", e.expires().toString());
            o.put("reason", e.reason());
        }
        return exceptions;
    }

    /** A glob ({@code *} any characters, {@code ?} one) as a LIKE pattern with the default escape. */
    static String likePattern(String glob) {
        StringBuilder like = new StringBuilder(glob.length() + 8);
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> like.append('%');
                case '?' -> like.append('_');
                case '%', '_', '\\' -> like.append('\\').append(c);
                default -> like.append(c);
            }
        }
        return like.toString();
    }
}
