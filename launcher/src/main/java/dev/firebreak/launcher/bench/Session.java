package dev.firebreak.launcher.bench;

import dev.firebreak.stack.PostgresService;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** One open, autocommit connection of a bench role, so that a sample times a statement, never a login. */
record Session(String role, Connection connection, Statement statement) implements AutoCloseable {
    /** Password of every role the bench creates; they exist only in the bench's own throwaway cluster. */
    static final String PASSWORD = "fbb-bench-password";

    static Session open(PostgresService postgres, String role) throws SQLException {
        Connection connection = postgres.connect(role, PASSWORD);
        try {
            return new Session(role, connection, connection.createStatement());
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
    }

    void execute(String sql) throws SQLException {
        statement.execute(sql);
    }

    /** Runs {@code statements} in one transaction. */
    void executeInTransaction(Iterable<String> statements) throws SQLException {
        connection.setAutoCommit(false);
        try {
            for (String sql : statements) {
                statement.execute(sql);
            }
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
