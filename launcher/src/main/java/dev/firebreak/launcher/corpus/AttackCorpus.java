package dev.firebreak.launcher.corpus;

import dev.firebreak.schema.Principal;
import static dev.firebreak.launcher.corpus.CorpusContext.numbered;

import dev.firebreak.launcher.corpus.CorpusCase.Kind;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The attack corpus: every destructive pattern named in the guard, blast-radius and agent issues
 * (12, 14, 15), fast, slow, in one statement, over several sessions, behind SET ROLE, inside a
 * SECURITY DEFINER routine, across linked credentials and by an agent in production. Each must be
 * revoked or blocked.
 */
public final class AttackCorpus {
    private AttackCorpus() {
    }

    public static List<CorpusCase> cases() {
        List<CorpusCase> cases = new ArrayList<>();
        cases.add(attack("attack/drop-burst-autocommit", "10 DROP TABLE at 8/s, autocommit", "issue 12", ctx -> {
            String role = ctx.createRole("burst");
            ctx.tables(role, role, 10, 50);
            ctx.paced(role, 8, numbered("DROP TABLE " + role + ".t%03d", 10));
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/drop-burst-one-transaction", "10 DROP TABLE at 6/s inside one transaction", "issue 12", ctx -> {
            String role = ctx.createRole("txn");
            ctx.tables(role, role, 10, 50);
            try (Connection c = ctx.connect(role); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                for (String s : numbered("DROP TABLE " + role + ".t%03d", 10)) {
                    st.execute(s);
                    Thread.sleep(166);
                }
                c.commit();
                ctx.note("committed all 10 drops");
            } catch (SQLException e) {
                if (!CorpusContext.stopped(e)) {
                    throw e;
                }
                ctx.note("transaction cut off: " + CorpusContext.firstLine(e));
            }
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/drop-slow-25x1.5s", "25 DROP TABLE paced 1.5 s apart", "issue 14", ctx -> {
            String role = ctx.createRole("slow");
            ctx.tables(role, role, 25, 50);
            ctx.paced(role, 1 / 1.5, numbered("DROP TABLE " + role + ".t%03d", 25));
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/drop-database", "DROP DATABASE of a database holding data", "issues 12, 14", ctx -> {
            String role = ctx.createRole("dropdb");
            ctx.admin("ALTER ROLE " + role + " CREATEDB");
            ctx.runAs(role, "CREATE DATABASE " + role + "_db");
            ctx.runAs(role, "DROP DATABASE " + role + "_db");
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/truncate-multi-table", "one TRUNCATE of 4 tables of 2,000 rows", "issue 14", ctx -> {
            String role = ctx.createRole("trunc");
            ctx.tables(role, role, 4, 2000);
            ctx.runAs(role, String.format("TRUNCATE %1$s.t001, %1$s.t002, %1$s.t003, %1$s.t004", role));
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/delete-whole-table", "DELETE without WHERE of a 5,000-row table", "issue 14", ctx -> {
            String role = ctx.createRole("delall");
            ctx.tables(role, role, 1, 5000);
            ctx.runAs(role, "DELETE FROM " + role + ".t001");
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/delete-tautological-where", "DELETE ... WHERE 1=1 of a 5,000-row table", "issue 14", ctx -> {
            String role = ctx.createRole("deltaut");
            ctx.tables(role, role, 1, 5000);
            ctx.runAs(role, "DELETE FROM " + role + ".t001 WHERE 1 = 1");
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/drop-schema-cascade", "DROP SCHEMA ... CASCADE taking 12 tables", "issues 12, 14", ctx -> {
            String role = ctx.createRole("cascade");
            ctx.tables(role, role, 12, 50);
            ctx.runAs(role, "DROP SCHEMA " + role + " CASCADE");
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/drop-owned", "DROP OWNED BY CURRENT_USER taking 8 tables", "issue 12", ctx -> {
            String role = ctx.createRole("owned");
            ctx.tables(role, role, 8, 50);
            ctx.runAs(role, "DROP OWNED BY CURRENT_USER");
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/drop-column-30-tables", "ALTER TABLE ... DROP COLUMN on 30 tables at 10/s", "issue 14", ctx -> {
            String role = ctx.createRole("dropcol");
            ctx.tables(role, role, 30, 200);
            ctx.paced(role, 10, numbered("ALTER TABLE " + role + ".t%03d DROP COLUMN v", 30));
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/multi-session-burst", "12 drops round-robin over 3 sessions of one role, 7/s", "issue 12", ctx -> {
            String role = ctx.createRole("multi");
            ctx.tables(role, role, 12, 50);
            List<Connection> sessions = new ArrayList<>();
            int dropped = 0;
            try {
                for (int k = 0; k < 3; k++) {
                    sessions.add(ctx.connect(role));
                }
                for (int t = 1; t <= 12; t++) {
                    try (Statement st = sessions.get(t % 3).createStatement()) {
                        st.execute(String.format("DROP TABLE %s.t%03d", role, t));
                        dropped++;
                    }
                    Thread.sleep(140);
                }
            } catch (SQLException e) {
                if (!CorpusContext.stopped(e)) {
                    throw e;
                }
                ctx.note("stopped after " + dropped + "/12: " + CorpusContext.firstLine(e));
            } finally {
                for (Connection c : sessions) {
                    closeQuietly(c);
                }
            }
            return List.of(ctx.principal(role));
        }));
        cases.add(attack("attack/set-role", "SET ROLE to the tables' owner, then 10 drops at 8/s", "issues 12, 14", ctx -> {
            String owner = ctx.createRole("sr_owner");
            String attacker = ctx.createRole("sr_user");
            ctx.tables(owner, owner, 10, 50);
            ctx.admin("GRANT " + owner + " TO " + attacker);
            List<String> statements = new ArrayList<>();
            statements.add("SET ROLE " + owner);
            statements.addAll(numbered("DROP TABLE " + owner + ".t%03d", 10));
            ctx.paced(attacker, 8, statements);
            return List.of(ctx.principal(attacker), ctx.principal(owner));
        }));
        cases.add(attack("attack/security-definer", "a SECURITY DEFINER function dropping 8 tables, called by another role",
                "issues 12, 14", ctx -> {
                    String owner = ctx.createRole("sd_owner");
                    String caller = ctx.createRole("sd_caller");
                    ctx.tables(owner, owner, 8, 50);
                    ctx.admin("""
                            CREATE FUNCTION %1$s.wipe() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $fn$
                            BEGIN
                                FOR i IN 1..8 LOOP
                                    EXECUTE format('DROP TABLE %1$s.%%I', 't' || lpad(i::text, 3, '0'));
                                    PERFORM pg_sleep(0.1);
                                END LOOP;
                            END $fn$;
                            ALTER FUNCTION %1$s.wipe() OWNER TO %1$s;
                            GRANT USAGE ON SCHEMA %1$s TO %2$s;
                            GRANT EXECUTE ON FUNCTION %1$s.wipe() TO %2$s;
                            """.formatted(owner, caller));
                    ctx.runAs(caller, "SELECT " + owner + ".wipe()");
                    return List.of(ctx.principal(caller), ctx.principal(owner));
                }));
        cases.add(attack("attack/linked-credentials", "an agent's two linked roles drop 2 tables each within one second",
                "issues 14, 15", ctx -> {
                    String a = ctx.createRole("link_a");
                    String b = ctx.createRole("link_b");
                    ctx.tables(a, a, 2, 50);
                    ctx.tables(b, b, 2, 50);
                    String agent = Principal.agent(ctx.role("bot")).format();
                    ctx.link(agent, "corpus: the agent works with both roles", ctx.principal(a), ctx.principal(b));
                    Thread.sleep(1000); // the link must be in detection's store before the drops
                    try (Connection ca = ctx.connect(a); Connection cb = ctx.connect(b)) {
                        for (int t = 1; t <= 2; t++) {
                            try (Statement sa = ca.createStatement(); Statement sb = cb.createStatement()) {
                                sa.execute(String.format("DROP TABLE %s.t%03d", a, t));
                                Thread.sleep(150);
                                sb.execute(String.format("DROP TABLE %s.t%03d", b, t));
                                Thread.sleep(150);
                            }
                        }
                    } catch (SQLException e) {
                        if (!CorpusContext.stopped(e)) {
                            throw e;
                        }
                        ctx.note("stopped: " + CorpusContext.firstLine(e));
                    }
                    return List.of(ctx.principal(a), ctx.principal(b), agent);
                }));
        cases.add(attack("attack/agent-production", "an agent deletes a production volume, then drops two tables with its role",
                "issue 15", ctx -> {
                    String role = ctx.createRole("agent_rw");
                    ctx.tables(role, role, 2, 50);
                    String agent = ctx.role("cleanup-bot").replace('_', '-');
                    String credential = ctx.principal(role);
                    // as deployed: the agent's role is linked to it, so revoking the agent reaches the role
                    // (an agent's own claim of a credential is never a revocation target)
                    ctx.link(Principal.agent(agent).format(), "corpus: the agent runs as this role", credential);
                    Thread.sleep(1000); // the link must be in detection's store before the actions
                    int s1 = ctx.agentAction(agent, credential, "curl -X POST https://backboard.railway.app/graphql/v2 -d "
                            + "'{\"query\":\"mutation { volumeDelete(volumeId: \\\"3d2c\\\") }\"}'", "production");
                    int s2 = ctx.agentAction(agent, credential, "psql -c 'DROP TABLE " + role + ".t001'", "production");
                    int s3 = ctx.agentAction(agent, credential, "psql -c 'DROP TABLE " + role + ".t002'", "production");
                    ctx.note("agent endpoint answered " + s1 + ", " + s2 + ", " + s3);
                    return List.of(Principal.agent(agent).format(), credential);
                }));
        return cases;
    }

    private static CorpusCase attack(String id, String description, String origin, CorpusCase.Body body) {
        return new CorpusCase(id, Kind.ATTACK, description, origin, body);
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // a session the kill switch ended is already closed
        }
    }
}
