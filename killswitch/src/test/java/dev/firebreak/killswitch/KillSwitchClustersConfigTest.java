package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.killswitch.kafka.KafkaAclRevokerConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Many clusters as configuration: named PostgreSQL and Kafka clusters besides the default ones, and parallelism. */
class KillSwitchClustersConfigTest {

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("firebreak.killswitch.pg.cluster", "main");
        m.put("firebreak.killswitch.pg.url", "jdbc:postgresql://db-main:5432/app");
        m.put("firebreak.killswitch.pg.user", "firebreak");
        m.put("firebreak.killswitch.pg.password", "main-pw");
        m.put("firebreak.killswitch.bootstrap.servers", "kafka:9092");
        m.put("firebreak.killswitch.schema.registry.url", "http://registry:8080");
        return m;
    }

    private static Map<String, String> twoMore() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.pg.clusters", "eu, us-east");
        m.put("firebreak.killswitch.pg.cluster.eu.url", "jdbc:postgresql://db-eu:5432/app");
        m.put("firebreak.killswitch.pg.cluster.eu.user", "firebreak_eu");
        m.put("firebreak.killswitch.pg.cluster.eu.password", "eu-pw");
        m.put("firebreak.killswitch.pg.cluster.us-east.url", "jdbc:postgresql://db-us:5432/app");
        m.put("firebreak.killswitch.pg.cluster.us-east.user", "firebreak");
        return m;
    }

    @Test
    void theSingleClusterKeysAloneStillMeanOneClusterAndFourAtOnce() {
        KillSwitchConfig c = KillSwitchConfig.fromMap(minimal());
        assertThat(c.pgClusters()).containsExactly(
                new KillSwitchConfig.PgCluster("main", "jdbc:postgresql://db-main:5432/app", "firebreak", "main-pw"));
        assertThat(c.parallelism()).isEqualTo(4);
    }

    @Test
    void namedClustersFollowTheDefaultOneEachWithItsOwnConnection() {
        Map<String, String> m = twoMore();
        m.put("firebreak.killswitch.parallelism", "8");
        KillSwitchConfig c = KillSwitchConfig.fromMap(m);
        assertThat(c.pgClusters()).extracting(KillSwitchConfig.PgCluster::name).containsExactly("main", "eu", "us-east");
        assertThat(c.pgClusters().get(1)).isEqualTo(
                new KillSwitchConfig.PgCluster("eu", "jdbc:postgresql://db-eu:5432/app", "firebreak_eu", "eu-pw"));
        assertThat(c.pgClusters().get(2).password()).as("optional, as for the default cluster").isEmpty();
        assertThat(c.parallelism()).isEqualTo(8);
        assertThat(c.toString()).contains("eu", "us-east").doesNotContain("eu-pw", "main-pw");
    }

    @Test
    void aMissingUrlOrUserIsNamedByItsKey() {
        Map<String, String> m = twoMore();
        m.remove("firebreak.killswitch.pg.cluster.eu.url");
        m.remove("firebreak.killswitch.pg.cluster.us-east.user");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(m))
                .hasMessageContaining("firebreak.killswitch.pg.cluster.eu.url is required: jdbc:postgresql://")
                .hasMessageContaining("firebreak.killswitch.pg.cluster.us-east.user is required");
    }

    @Test
    void aKeyForAClusterNotListedNamesTheAllowedOnes() {
        Map<String, String> m = twoMore();
        m.put("firebreak.killswitch.pg.cluster.asia.url", "jdbc:postgresql://db-asia/app");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(m))
                .hasMessageContaining("firebreak.killswitch.pg.cluster.asia.url is for cluster 'asia'")
                .hasMessageContaining("firebreak.killswitch.pg.clusters does not list")
                .hasMessageContaining("firebreak.killswitch.pg.cluster.eu.*, firebreak.killswitch.pg.cluster.us-east.*");
    }

    @Test
    void anUnknownPerClusterKeyNamesTheAllowedOnes() {
        Map<String, String> m = twoMore();
        m.put("firebreak.killswitch.pg.cluster.eu.protected.roles", "x");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(m))
                .hasMessageContaining("firebreak.killswitch.pg.cluster.eu.protected.roles is not a cluster setting")
                .hasMessageContaining("[url, user, password]");
    }

    @Test
    void aDuplicateNameFailsTheDefaultClusterIncluded() {
        Map<String, String> twice = twoMore();
        twice.put("firebreak.killswitch.pg.clusters", "eu,us-east,eu");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(twice)).hasMessageContaining("names cluster 'eu' twice");
        Map<String, String> asDefault = twoMore();
        asDefault.put("firebreak.killswitch.pg.clusters", "eu,us-east,main");
        asDefault.put("firebreak.killswitch.pg.cluster.main.url", "jdbc:postgresql://other/app");
        asDefault.put("firebreak.killswitch.pg.cluster.main.user", "fb");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(asDefault))
                .hasMessageContaining("names cluster 'main' twice (the default cluster firebreak.killswitch.pg.cluster=main counts)");
    }

    @Test
    void aBadNameOrParallelismIsRefusedWithWhatIsAllowed() {
        Map<String, String> dotted = twoMore();
        dotted.put("firebreak.killswitch.pg.clusters", "eu,us-east,eu.west");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(dotted))
                .hasMessageContaining("bad cluster name 'eu.west'; allowed: 1-64 of A-Z a-z 0-9 _ -");
        for (String bad : List.of("0", "65")) {
            Map<String, String> m = minimal();
            m.put("firebreak.killswitch.parallelism", bad);
            assertThatThrownBy(() -> KillSwitchConfig.fromMap(m))
                    .hasMessageContaining("firebreak.killswitch.parallelism must be 1..64, was " + bad);
        }
    }

    // --- Kafka clusters -------------------------------------------------------------------------

    @Test
    void kafkaClustersAreTheDefaultBlockThenEachNamedOne() {
        Map<String, String> m = new HashMap<>();
        m.put("firebreak.killswitch.kafka.cluster", "main");
        m.put("firebreak.killswitch.kafka.bootstrap.servers", "kafka-main:9092");
        m.put("firebreak.killswitch.kafka.clusters", "eu");
        m.put("firebreak.killswitch.kafka.cluster.eu.bootstrap.servers", "kafka-eu:9093");
        m.put("firebreak.killswitch.kafka.cluster.eu.admin.security.protocol", "SASL_SSL");
        m.put("firebreak.killswitch.kafka.cluster.eu.admin.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"fb-eu\" password=\"x\";");
        m.put("firebreak.killswitch.kafka.cluster.eu.protected.principals", "ops");
        List<KafkaAclRevokerConfig> all = KafkaAclRevokerConfig.allFromMap(m);
        assertThat(all).extracting(KafkaAclRevokerConfig::cluster).containsExactly("main", "eu");
        KafkaAclRevokerConfig eu = all.get(1);
        assertThat(eu.bootstrapServers()).isEqualTo("kafka-eu:9093");
        assertThat(eu.selfPrincipal()).isEqualTo("User:fb-eu");
        assertThat(eu.protectedPrincipals()).containsExactly("User:ops");
        assertThat(all.get(0).adminOverrides()).as("the named block's client settings stay its own").isEmpty();
    }

    @Test
    void namedKafkaClustersAloneNeedNoDefaultBlock() {
        Map<String, String> m = Map.of("firebreak.killswitch.kafka.clusters", "a,b",
                "firebreak.killswitch.kafka.cluster.a.bootstrap.servers", "ka:9092",
                "firebreak.killswitch.kafka.cluster.b.bootstrap.servers", "kb:9092");
        assertThat(KafkaAclRevokerConfig.allFromMap(m)).extracting(KafkaAclRevokerConfig::cluster).containsExactly("a", "b");
        assertThat(KafkaAclRevokerConfig.allFromMap(Map.of())).isEmpty();
    }

    @Test
    void badKafkaClusterBlocksNameTheirOwnKeys() {
        Map<String, String> m = new HashMap<>();
        m.put("firebreak.killswitch.kafka.clusters", "eu");
        m.put("firebreak.killswitch.kafka.cluster.eu.request.timeout.ms", "0");
        assertThatThrownBy(() -> KafkaAclRevokerConfig.allFromMap(m))
                .hasMessageContaining("firebreak.killswitch.kafka.cluster.eu.bootstrap.servers is required")
                .hasMessageContaining("firebreak.killswitch.kafka.cluster.eu.request.timeout.ms must be 1..60000");
        m.put("firebreak.killswitch.kafka.cluster.eu.bootstrap.servers", "k:9092");
        m.put("firebreak.killswitch.kafka.cluster.eu.request.timeout.ms", "500");
        m.put("firebreak.killswitch.kafka.cluster.us.bootstrap.servers", "k:9092");
        assertThatThrownBy(() -> KafkaAclRevokerConfig.allFromMap(m))
                .hasMessageContaining("firebreak.killswitch.kafka.cluster.us.bootstrap.servers is for cluster 'us'")
                .hasMessageContaining("allowed: [firebreak.killswitch.kafka.cluster.eu.*]");
    }

    @Test
    void aKafkaClusterNamedTwiceFails() {
        Map<String, String> m = new HashMap<>();
        m.put("firebreak.killswitch.kafka.cluster", "eu");
        m.put("firebreak.killswitch.kafka.bootstrap.servers", "k1:9092");
        m.put("firebreak.killswitch.kafka.clusters", "eu");
        m.put("firebreak.killswitch.kafka.cluster.eu.bootstrap.servers", "k2:9092");
        assertThatThrownBy(() -> KafkaAclRevokerConfig.allFromMap(m))
                .hasMessageContaining("names cluster 'eu' twice");
    }
}
