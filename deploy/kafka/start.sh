#!/bin/bash
# The compose Kafka: formats its storage once with every SCRAM-SHA-512 user (kafka-storage format
# --add-scram, so the broker never serves a moment without them), then starts with the admin's
# JAAS settings from the environment. Passwords come from docker-compose.yml (compose-only values).
set -euo pipefail
: "${CLUSTER_ID:?}" "${KAFKA_ADMIN_PASSWORD:?}"
config=/etc/firebreak-kafka/server.properties
declare -A users=(
  [admin]="$KAFKA_ADMIN_PASSWORD"
  [firebreak-ingest]="${KAFKA_INGEST_PASSWORD:?}"
  [firebreak-detection]="${KAFKA_DETECTION_PASSWORD:?}"
  [firebreak-killswitch]="${KAFKA_KILLSWITCH_PASSWORD:?}"
  [firebreak-oncall]="${KAFKA_ONCALL_PASSWORD:?}"
  [firebreak-export]="${KAFKA_EXPORT_PASSWORD:?}"
  [firebreak-observer]="${KAFKA_OBSERVER_PASSWORD:?}"
  [firebreak-operator]="${KAFKA_OPERATOR_PASSWORD:?}"
)
if [ ! -f /tmp/kraft-combined-logs/meta.properties ]; then
  scram=()
  for user in "${!users[@]}"; do
    scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=${users[$user]}]")
  done
  /opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$CLUSTER_ID" -c "$config" "${scram[@]}" > /dev/null
fi
# For the health check (kafka-broker-api-versions.sh --command-config).
umask 077
cat > /tmp/admin.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
PROPS
login="username=\"admin\" password=\"$KAFKA_ADMIN_PASSWORD\""
exec /opt/kafka/bin/kafka-server-start.sh "$config" \
  --override "listener.name.internal.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required $login;" \
  --override "listener.name.host.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required $login;" \
  --override "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required $login user_admin=\"$KAFKA_ADMIN_PASSWORD\";"
