/**
 * Pre-flight decisions: an agent asks before it acts ({@code POST /v1/decisions} beside
 * {@code /v1/actions}) and gets {@code allow}, {@code deny} or {@code ask} (a human must approve).
 * Decisions are rules as data ({@code decisions:} in the rule files, {@link DecisionRules}) over the
 * classifier's verdict and the principal's live state ({@link LiveState}), which
 * {@link PreflightStateConsumer} keeps from Kafka topics: kill switch results, alerts, recorded
 * decisions and operators' approvals.
 */
package dev.firebreak.ingest.preflight;
