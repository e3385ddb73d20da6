package dev.firebreak.killswitch;

import dev.firebreak.killswitch.kafka.KafkaAclRevoker;
import dev.firebreak.killswitch.postgres.PostgresRevoker;
import dev.firebreak.killswitch.webhook.WebhookRevoker;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the revokers a kill switch configuration asks for, each connected and warm. The one place
 * a new target kind is wired in: its class, and a line here reading its config block.
 *
 * <ul>
 *   <li>PostgreSQL: {@code firebreak.killswitch.pg.*}, always (targets {@code pg:<cluster>/<role>});</li>
 *   <li>Kafka: {@code firebreak.killswitch.kafka.*}, when present (targets {@code kafka:<cluster>/<principal>});</li>
 *   <li>API tokens through a signed webhook: {@code firebreak.killswitch.webhook.<issuer>.*}, one per issuer
 *       (targets {@code token:<issuer>/<id>}).</li>
 * </ul>
 */
public final class Revokers {
    private static final Logger log = LoggerFactory.getLogger(Revokers.class);

    private Revokers() {
    }

    /**
     * Opens every configured revoker and checks its privileges. Fails start-up, closing what was opened,
     * if a revoker cannot connect or its config block is invalid.
     */
    public static List<Revoker> open(KillSwitchConfig config) {
        List<Revoker> opened = new ArrayList<>();
        try {
            opened.add(PostgresRevoker.open(config));
            KafkaAclRevoker.fromConfig(config.targetBlocks()).ifPresent(opened::add);
            opened.addAll(WebhookRevoker.fromConfig(config.targetBlocks()));
        } catch (RuntimeException e) {
            opened.forEach(Revoker::close);
            throw e;
        }
        for (Revoker revoker : opened) {
            List<String> missing = revoker.missingPrivileges();
            if (!missing.isEmpty()) {
                log.error("kill switch revoker {} lacks privileges, some revocations will fail: {}", revoker.describe(), missing);
            }
        }
        return List.copyOf(opened);
    }
}
