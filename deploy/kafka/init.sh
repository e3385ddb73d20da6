#!/bin/bash
# kafka-init: as the super user admin, creates the pipeline's topics and each stage's ACLs, once
# before any stage starts. The ACLs are dev.firebreak.launcher.stack.PipelineKafkaAcls, which the
# embedded stack applies (ComposeStackTest holds this file to it): only ingest writes events, only
# detection writes commands, only the kill switch writes results.
set -euo pipefail
: "${KAFKA_ADMIN_PASSWORD:?}"
bootstrap=kafka:9092
admin=/tmp/admin.properties
umask 077
cat > "$admin" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
PROPS

# topic NAME [PARTITIONS] [ARGS...]: partitions as in TopicPlan (1 unless given).
topic() {
  local name=$1 partitions=${2:-1}
  shift $(( $# > 1 ? 2 : 1 ))
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --command-config "$admin" --create --if-not-exists \
    --partitions "$partitions" --replication-factor 1 --topic "$name" "$@"
}
# One broker here: RF 1. On three or more brokers every stage refuses to start unless each
# pipeline topic has RF >= 3 and min.insync.replicas >= 2 (README, "Durability").
# Detection's input and its repartition topic: 4 partitions each, always the same number (detection
# refuses to start otherwise), so up to 4 detection instances share the work.
for t in firebreak.audit.events.v1 firebreak.detection.owner-events.v1; do
  topic "$t" 4
done
for t in firebreak.audit.dlq.v1 firebreak.alerts.v1 \
         firebreak.killswitch.results.v1 firebreak.ocsf.v1 firebreak.preflight.decisions.v1 firebreak.preflight.approvals.v1; do
  topic "$t"
done
# Stamped with the broker's clock: the kill switch measures a command's age from it.
topic firebreak.killswitch.commands.v1 1 --config message.timestamp.type=LogAppendTime
for t in firebreak.principals.links.v1 firebreak.ingest.heartbeat.v1; do
  topic "$t" 1 --config cleanup.policy=compact
done

# acl USER ARGS...: allow User:USER the operations and resources in ARGS (kafka-acls.sh syntax).
acl() {
  local user=$1
  shift
  /opt/kafka/bin/kafka-acls.sh --bootstrap-server "$bootstrap" --command-config "$admin" --add \
    --allow-principal "User:$user" "$@" > /dev/null
}
# Every stage may also describe its topics' configs: it checks their durability at start-up.
# ingest: writes events, dead letters and heartbeats; owns its Debezium offsets topic and the row-image topics
acl firebreak-ingest --operation Write --operation Describe --operation DescribeConfigs --topic firebreak.audit.events.v1 --topic firebreak.audit.dlq.v1
acl firebreak-ingest --operation Create --operation Write --operation Describe --topic firebreak.ingest.heartbeat.v1
acl firebreak-ingest --operation Create --operation Read --operation Write --operation Describe --operation DescribeConfigs --topic firebreak.ingest.offsets.v1
acl firebreak-ingest --operation Create --operation Write --operation Describe --resource-pattern-type prefixed --topic firebreak.cdc.
# ingest, pre-flight decisions: records its refusals; rebuilds live state from them, approvals, alerts, results (no group)
acl firebreak-ingest --operation Write --operation Describe --operation DescribeConfigs --topic firebreak.preflight.decisions.v1
acl firebreak-ingest --operation Read --operation Describe --operation DescribeConfigs --topic firebreak.preflight.decisions.v1 --topic firebreak.preflight.approvals.v1 --topic firebreak.alerts.v1 --topic firebreak.killswitch.results.v1
# detection: reads events, links and results (to re-issue a command that failed); writes commands, alerts, dead letters; its group, its internal
# topics and transactional ids (prefix: the application id), idempotent writes
acl firebreak-detection --operation Read --operation Describe --operation DescribeConfigs --topic firebreak.audit.events.v1 --topic firebreak.principals.links.v1 --topic firebreak.killswitch.results.v1
acl firebreak-detection --operation Write --operation Describe --operation DescribeConfigs --topic firebreak.killswitch.commands.v1 --topic firebreak.alerts.v1 --topic firebreak.audit.dlq.v1
# detection's own repartition topic: linked credentials' events re-keyed to their owner, read back
acl firebreak-detection --operation Read --operation Write --operation Describe --operation DescribeConfigs --topic firebreak.detection.owner-events.v1
acl firebreak-detection --operation Read --group firebreak-detection
acl firebreak-detection --operation All --resource-pattern-type prefixed --topic firebreak-detection-
acl firebreak-detection --operation Write --operation Describe --resource-pattern-type prefixed --transactional-id firebreak-detection
acl firebreak-detection --operation IdempotentWrite --cluster
# kill switch: reads commands (and results, for reinstate); writes results and alerts
acl firebreak-killswitch --operation Read --operation Describe --operation DescribeConfigs --topic firebreak.killswitch.commands.v1 --topic firebreak.killswitch.results.v1
acl firebreak-killswitch --operation Write --operation Describe --operation DescribeConfigs --topic firebreak.killswitch.results.v1 --topic firebreak.alerts.v1
acl firebreak-killswitch --operation Read --group firebreak-killswitch
# on-call: reads alerts and results (no group)
acl firebreak-oncall --operation Read --operation Describe --operation DescribeConfigs --topic firebreak.alerts.v1 --topic firebreak.killswitch.results.v1
# export (OCSF for SIEMs, when firebreak.export.ocsf.enabled): reads events and alerts; writes OCSF events; its group
acl firebreak-export --operation Read --operation Describe --operation DescribeConfigs --topic firebreak.audit.events.v1 --topic firebreak.alerts.v1
acl firebreak-export --operation Write --operation Describe --operation DescribeConfigs --topic firebreak.ocsf.v1
acl firebreak-export --operation Read --group firebreak-export
# operator (approve/reject): answers pending pre-flight decisions, reads the decisions (no group)
acl firebreak-operator --operation Write --operation Describe --operation DescribeConfigs --topic firebreak.preflight.approvals.v1
acl firebreak-operator --operation Read --operation Describe --operation DescribeConfigs --topic firebreak.preflight.decisions.v1
# observer (dashboards, tools, you): reads every firebreak. topic, in its own groups only
acl firebreak-observer --operation Read --operation Describe --resource-pattern-type prefixed --topic firebreak.
acl firebreak-observer --operation Read --resource-pattern-type prefixed --group firebreak-observer-
