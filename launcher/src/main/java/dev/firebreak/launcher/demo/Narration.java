package dev.firebreak.launcher.demo;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.RevocationResult;
import java.util.Locale;

/** Human sentences for pipeline outputs on the demo timeline. */
final class Narration {
    private Narration() {
    }

    static String alert(Alert a) {
        return String.format(Locale.ROOT, "%s %s %s: %s (%d >= %d in the window)", a.getSeverity(), a.getKind(),
                a.getRuleId(), a.getPrincipal(), a.getObserved(), a.getThreshold());
    }

    static String result(RevocationResult r) {
        double ms = (r.getCompletedTimeUs() - r.getTriggerEventTimeUs()) / 1000.0;
        return String.format(Locale.ROOT, "%s %s, sessions terminated %s, %.1f ms after the triggering statement%s",
                r.getOutcome(), r.getTarget(), r.getTerminatedPids(), ms,
                r.getDetail().isEmpty() ? "" : " (" + r.getDetail() + ")");
    }
}
