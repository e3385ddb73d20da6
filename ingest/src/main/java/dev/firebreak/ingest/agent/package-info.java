/**
 * Agent action logs: what AI agents and automation say they did, from two capture paths that end
 * in the same {@link dev.firebreak.schema.AuditEvent}.
 *
 * <ul>
 *   <li>The table {@code firebreak.agent_actions}, written by agent frameworks and read by the same
 *       Debezium engine as the event-trigger messages ({@link AgentActionTableInstaller},
 *       {@link AgentActionTableRouter}).</li>
 *   <li>{@code POST /v1/actions} on the ingest service ({@link AgentActionEndpoint}).</li>
 * </ul>
 *
 * Both validate with {@link AgentActionParser} and normalise with {@link AgentActionNormalizer},
 * which asks an injected {@link dev.firebreak.ingest.classify.ActionClassifier} whether the action
 * is destructive. Bad input never stops either path: HTTP answers 4xx naming the field, the table
 * path sends the row to the dead-letter topic with the reason.
 */
package dev.firebreak.ingest.agent;
