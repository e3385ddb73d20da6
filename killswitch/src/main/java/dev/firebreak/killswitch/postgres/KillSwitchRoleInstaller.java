package dev.firebreak.killswitch.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs the kill switch's own PostgreSQL role with least privilege, run once by an administrator
 * (and again whenever new login roles should become lockable; it is idempotent):
 * <ul>
 *   <li>LOGIN, CREATEROLE, and nothing else: not superuser, no CREATEDB, no replication, no BYPASSRLS,
 *       NOINHERIT;</li>
 *   <li>membership in {@code pg_signal_backend}, to terminate other roles' sessions (never a superuser's);</li>
 *   <li>ADMIN OPTION, without INHERIT and without SET, on every role it may lock: PostgreSQL 16+ lets a
 *       CREATEROLE role alter only roles it administers, and without INHERIT/SET it cannot use their
 *       privileges, so a stolen kill switch password cannot read or drop their data;</li>
 *   <li>USAGE and CREATE on schema {@code firebreak}, where it keeps its two functions; existing ones
 *       are handed to it so it can upgrade them;</li>
 *   <li>EXECUTE on {@code firebreak.beat(text, text)} when ingest installed it, to beat for strict mode
 *       (for component {@code killswitch} only).</li>
 * </ul>
 * Every statement quotes names with {@code format('%I')}; the password travels as a bind parameter.
 */
public final class KillSwitchRoleInstaller {
    private static final Logger log = LoggerFactory.getLogger(KillSwitchRoleInstaller.class);

    private static final String UPSERT_ROLE = KillSwitchSql.load("role_upsert.sql");
    private static final String HAND_OVER_FUNCTIONS = KillSwitchSql.load("role_hand_over_functions.sql");
    private static final String LOCKABLE = KillSwitchSql.load("role_lockable.sql");
    private static final String GRANT_ADMIN = KillSwitchSql.load("role_grant_admin.sql");
    private static final String SET_LOCAL = KillSwitchSql.load("set_local.sql");

    private KillSwitchRoleInstaller() {
    }

    /** What the installer did. */
    public record Report(String role, List<String> lockable, List<String> notFound) {
    }

    /**
     * Creates or updates the role and grants it administration of the lockable roles.
     *
     * @param admin          a connection of a superuser (or a role that administers every lockable role)
     * @param role           the kill switch's role, e.g. {@code firebreak_killswitch}
     * @param password       its new password, or empty to keep the current one
     * @param lockable       roles it may lock; empty means every current non-superuser login role
     * @param protectedRoles roles it must never be able to lock (excluded even if listed in {@code lockable})
     */
    public static Report install(Connection admin, String role, String password, List<String> lockable,
                                 List<String> protectedRoles) throws SQLException {
        Objects.requireNonNull(role, "role");
        if (role.isBlank()) {
            throw new IllegalArgumentException("kill switch role name must not be blank");
        }
        boolean autoCommit = admin.getAutoCommit();
        admin.setAutoCommit(false);
        try {
            setLocal(admin, "firebreak.ks_role", role);
            setLocal(admin, "firebreak.ks_password", password == null ? "" : password);
            try (Statement st = admin.createStatement()) {
                st.execute(UPSERT_ROLE);
                st.execute(HAND_OVER_FUNCTIONS);
            }
            List<String> granted = lockableRoles(admin, role, lockable, protectedRoles);
            for (String target : granted) {
                try (PreparedStatement ps = admin.prepareStatement(GRANT_ADMIN)) {
                    ps.setString(1, target);
                    ps.setString(2, role);
                    try (ResultSet rs = ps.executeQuery(); Statement st = admin.createStatement()) {
                        rs.next();
                        st.execute(rs.getString(1));
                    }
                }
            }
            admin.commit();
            List<String> notFound = lockable.stream().filter(r -> !granted.contains(r)).toList();
            log.info("kill switch role {} installed: may lock {} role(s); not lockable (missing, superuser or protected): {}",
                    role, granted.size(), notFound);
            return new Report(role, granted, notFound);
        } catch (SQLException | RuntimeException e) {
            admin.rollback();
            throw e;
        } finally {
            admin.setAutoCommit(autoCommit);
        }
    }

    private static List<String> lockableRoles(Connection admin, String role, List<String> lockable,
                                              List<String> protectedRoles) throws SQLException {
        List<String> roles = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement(LOCKABLE)) {
            ps.setString(1, role);
            ps.setArray(2, admin.createArrayOf("text", protectedRoles.toArray()));
            ps.setArray(3, admin.createArrayOf("text", lockable.toArray()));
            ps.setArray(4, admin.createArrayOf("text", lockable.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    roles.add(rs.getString(1));
                }
            }
        }
        return roles;
    }

    private static void setLocal(Connection c, String key, String value) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SET_LOCAL)) {
            ps.setString(1, key);
            ps.setString(2, value);
            ps.execute();
        }
    }
}
