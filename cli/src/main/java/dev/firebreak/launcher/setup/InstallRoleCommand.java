package dev.firebreak.launcher.setup;

import dev.firebreak.killswitch.postgres.KillSwitchRoleInstaller;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Creates or updates the kill switch's own PostgreSQL role with least privilege
 * ({@link KillSwitchRoleInstaller}). Passwords come from environment variables, never the command
 * line, so they stay out of shell history and {@code ps}.
 */
@Command(name = "install-killswitch-role", mixinStandardHelpOptions = true,
        description = "Create/update the kill switch's least-privilege PostgreSQL role; re-run to make new roles lockable.")
public final class InstallRoleCommand implements Callable<Integer> {
    @Option(names = "--jdbc-url", required = true, description = "jdbc:postgresql://host:port/database")
    String jdbcUrl;

    @Option(names = "--admin-user", defaultValue = "postgres", description = "A superuser (default ${DEFAULT-VALUE}).")
    String adminUser;

    @Option(names = "--admin-password-env", defaultValue = "PGPASSWORD",
            description = "Environment variable holding the admin password (default ${DEFAULT-VALUE}).")
    String adminPasswordEnv;

    @Option(names = "--role", defaultValue = "firebreak_killswitch", description = "The kill switch's role (default ${DEFAULT-VALUE}).")
    String role;

    @Option(names = "--password-env", description = "Environment variable holding the role's new password; omit to keep it.")
    String passwordEnv;

    @Option(names = "--lockable", split = ",", description = "Roles it may lock (default: every non-superuser login role).")
    List<String> lockable = List.of();

    @Option(names = "--protected", split = ",", description = "Roles it must never be able to lock.")
    List<String> protectedRoles = List.of();

    @Override
    public Integer call() throws Exception {
        Properties props = new Properties();
        props.setProperty("user", adminUser);
        props.setProperty("password", env(adminPasswordEnv, true));
        String password = passwordEnv == null ? "" : env(passwordEnv, true);
        try (Connection admin = DriverManager.getConnection(jdbcUrl, props)) {
            KillSwitchRoleInstaller.Report report = KillSwitchRoleInstaller.install(admin, role, password, lockable, protectedRoles);
            System.out.println("role " + report.role() + ": LOGIN CREATEROLE NOINHERIT, pg_signal_backend, schema firebreak");
            System.out.println("may lock (ADMIN OPTION, no INHERIT, no SET): " + report.lockable());
            if (!report.notFound().isEmpty()) {
                System.out.println("not lockable (missing, superuser or protected): " + report.notFound());
            }
        }
        return 0;
    }

    private static String env(String name, boolean required) {
        String value = System.getenv(name);
        if (value == null && required) {
            throw new IllegalArgumentException("environment variable " + name + " is not set; allowed: any name given with "
                    + Arrays.asList("--admin-password-env", "--password-env"));
        }
        return value == null ? "" : value;
    }
}
