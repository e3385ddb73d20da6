package dev.firebreak.ingest.postgres.engine;

import io.debezium.connector.postgresql.PostgresConnector;
import org.apache.kafka.connect.connector.Task;

/**
 * Debezium's PostgreSQL connector with a task that hands each change to the engine as soon as it is
 * queued and sleeps while nothing is ({@link PromptPostgresConnectorTask}). Everything else, the
 * replication stream, offsets and configuration, is Debezium's own.
 */
public class PromptPostgresConnector extends PostgresConnector {

    @Override
    public Class<? extends Task> taskClass() {
        return PromptPostgresConnectorTask.class;
    }
}
