package dev.firebreak.killswitch;

import dev.firebreak.killswitch.kafka.KafkaAclRevoker;
import dev.firebreak.killswitch.kafka.KafkaAclRevokerConfig;
import dev.firebreak.killswitch.postgres.PostgresRevoker;
import dev.firebreak.killswitch.webhook.WebhookRevoker;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the revokers a kill switch configuration asks for, each connected and warm. The one place
 * a new target kind is wired in: its class, and a line here reading its config block.
 *
 * <p>One revoker per cluster, each with its own connection: targets are routed by their scope (the
 * cluster in {@code pg:<cluster>/<role>}), and a target whose cluster none serves is FAILED by the kill switch.
 * <ul>
 *   <li>PostgreSQL: {@code firebreak.killswitch.pg.*}, always, and one per {@code pg.clusters} name
 *       (targets {@code pg:<cluster>/<role>});</li>
 *   <li>Kafka: {@code firebreak.killswitch.kafka.*} when present, and one per {@code kafka.clusters} name
 *       (targets {@code kafka:<cluster>/<principal>});</li>
 *   <li>API tokens through a signed webhook: {@code firebreak.killswitch.webhook.<issuer>.*}, one per issuer
 *       (targets {@code token:<issuer>/<id>}).</li>
 * </ul>
 */
public final class Revokers {
    private Revokers() {
    }

    /**
     * Opens every configured revoker. Fails start-up, closing what was opened, if a revoker cannot
     * connect or its config block is invalid. Privileges are checked by the kill switch service.
     */
    public static List<Revoker> open(KillSwitchConfig config) {
        List<Revoker> opened = new ArrayList<>();
        try {
            for (KillSwitchConfig.PgCluster cluster : config.pgClusters()) {
                opened.add(PostgresRevoker.open(config, cluster));
            }
            for (KafkaAclRevokerConfig cluster : KafkaAclRevokerConfig.allFromMap(config.targetBlocks())) {
                opened.add(KafkaAclRevoker.open(cluster));
            }
            opened.addAll(WebhookRevoker.fromConfig(config.targetBlocks()));
        } catch (RuntimeException e) {
            opened.forEach(Revoker::close);
            throw e;
        }
        return List.copyOf(opened);
    }
}
