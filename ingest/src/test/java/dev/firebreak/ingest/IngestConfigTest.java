package dev.firebreak.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestConfigTest {

    @Test
    void defaultsAreTunedForLatencyAndPassThroughsAreStripped() {
        IngestConfig c = IngestConfig.fromMap(Map.of(
                "firebreak.ingest.cluster", "prod-eu",
                "firebreak.ingest.pg.password", "secret",
                "firebreak.ingest.debezium.max.batch.size", "64",
                "firebreak.ingest.producer.compression.type", "lz4"));
        assertThat(c.pollIntervalMs()).isEqualTo(1);
        assertThat(c.slotName()).isEqualTo("firebreak_prod_eu");
        assertThat(c.debezium()).containsEntry("max.batch.size", "64");
        assertThat(c.producer()).containsEntry("compression.type", "lz4");
        assertThat(c.toString()).doesNotContain("secret");
    }

    @Test
    void badValuesFailNamingTheKeyAndWhatIsAllowed() {
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.cluster", "Prod EU")))
                .hasMessageContaining("firebreak.ingest.cluster").hasMessageContaining("allowed");
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.poll.interval.ms", "0")))
                .hasMessageContaining("firebreak.ingest.poll.interval.ms").hasMessageContaining("1..10000");
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.pg.port", "many")))
                .hasMessageContaining("firebreak.ingest.pg.port");
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.install.triggers", "yes")))
                .hasMessageContaining("install.triggers").hasMessageContaining("true, false");
    }

    @Test
    void clientSettingsReachEveryKafkaClientAndTheProducerPassThroughWins() {
        IngestConfig c = IngestConfig.fromMap(Map.of(
                "firebreak.ingest.client.security.protocol", "SASL_PLAINTEXT",
                "firebreak.ingest.client.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"kafka-pw\";",
                "firebreak.ingest.client.client.id", "from-client",
                "firebreak.ingest.producer.client.id", "from-producer",
                "firebreak.ingest.bootstrap.servers", "kafka:9092"));
        assertThat(c.producerSettings()).containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("client.id", "from-producer");
        assertThat(c.clientProperties()).containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"kafka-pw\";")
                .containsEntry("bootstrap.servers", "kafka:9092");
        assertThat(c.toString()).doesNotContain("kafka-pw");
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.client.bootstrap.servers", "x:1")))
                .hasMessageContaining("firebreak.ingest.client.bootstrap.servers");
    }
}
