package dev.firebreak.ingest.metrics;

/** The capture paths of ingest, as the {@code source} label of its metrics (a fixed set). */
public enum CaptureSource {
    /** Event-trigger messages through logical decoding. */
    POSTGRES("postgres"),
    /** The server's jsonlog file (DROP DATABASE, roles, tablespaces). */
    PGLOG("pglog"),
    /** Agent actions posted to the HTTP endpoint. */
    AGENT_HTTP("agent_http"),
    /** Agent actions logged into {@code firebreak.agent_actions}. */
    AGENT_TABLE("agent_table");

    private final String label;

    CaptureSource(String label) {
        this.label = label;
    }

    /** The label value. */
    public String label() {
        return label;
    }
}
