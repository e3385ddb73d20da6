package dev.firebreak.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code firebreak.ingest.dml.*} keys. */
class IngestConfigDmlTest {

    @Test
    void dmlCaptureIsOnForEveryTableByDefault() {
        IngestConfig c = IngestConfig.fromMap(Map.of());
        assertThat(c.dmlEnabled()).isTrue();
        assertThat(c.dmlExcludeSchemas()).isEmpty();
        assertThat(c.dmlExcludeTables()).isEmpty();
        assertThat(IngestConfig.of("it", "h", 5432, "db", "u", "p", "k:9092", "mem://x", 1).dmlEnabled()).isTrue();
    }

    @Test
    void exclusionsAreCommaSeparatedTrimmedAndDeduplicated() {
        IngestConfig c = IngestConfig.fromMap(Map.of(
                "firebreak.ingest.dml.enabled", "false",
                "firebreak.ingest.dml.exclude.schemas", " scratch, audit_archive,,scratch ",
                "firebreak.ingest.dml.exclude.tables", "public.sessions, app.Hot_Counters"));
        assertThat(c.dmlEnabled()).isFalse();
        assertThat(c.dmlExcludeSchemas()).containsExactly("scratch", "audit_archive");
        assertThat(c.dmlExcludeTables()).containsExactly("public.sessions", "app.Hot_Counters");
        assertThat(c.toString()).contains("dml=false");
    }

    @Test
    void malformedExclusionsFailNamingTheKey() {
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.dml.exclude.tables", "sessions")))
                .hasMessageContaining("firebreak.ingest.dml.exclude.tables").hasMessageContaining("schema.table");
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.dml.exclude.tables", "a.b.c")))
                .hasMessageContaining("dml.exclude.tables");
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.dml.exclude.schemas", "app.x")))
                .hasMessageContaining("dml.exclude.schemas");
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.dml.enabled", "on")))
                .hasMessageContaining("dml.enabled").hasMessageContaining("true, false");
    }

    @Test
    void routineDmlIsOneEventPerStatementUnlessSummaryIsChosen() {
        assertThat(IngestConfig.fromMap(Map.of()).routineSummarized()).isFalse();
        IngestConfig summary = IngestConfig.fromMap(Map.of("firebreak.ingest.dml.routine", "summary",
                "firebreak.ingest.dml.summary.interval.ms", "250"));
        assertThat(summary.routineSummarized()).isTrue();
        assertThat(summary.dmlSummaryIntervalMs()).isEqualTo(250);
        assertThat(summary.toString()).contains("routine DML by summary every 250 ms");
    }

    @Test
    void badRoutineSettingsFailNamingTheKeyAndTheAllowedValues() {
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.dml.routine", "sampled")))
                .hasMessageContaining("firebreak.ingest.dml.routine").hasMessageContaining("statement, summary");
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.dml.summary.interval.ms", "10")))
                .hasMessageContaining("firebreak.ingest.dml.summary.interval.ms").hasMessageContaining("100..60000");
    }

    @Test
    void updatesAreGatedUnlessSummariesReportThem() {
        assertThat(IngestConfig.fromMap(Map.of()).dmlUpdateGated()).isTrue();
        IngestConfig ungated = IngestConfig.fromMap(Map.of("firebreak.ingest.dml.routine", "summary",
                "firebreak.ingest.dml.update.gated", "false"));
        assertThat(ungated.dmlUpdateGated()).isFalse();
        assertThat(ungated.toString()).contains("UPDATEs ungated");
        // without summaries an ungated UPDATE would be reported nowhere
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.dml.update.gated", "false")))
                .hasMessageContaining("firebreak.ingest.dml.update.gated")
                .hasMessageContaining("firebreak.ingest.dml.routine=summary (it is statement)");
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.dml.update.gated", "sometimes")))
                .hasMessageContaining("firebreak.ingest.dml.update.gated");
    }
}
