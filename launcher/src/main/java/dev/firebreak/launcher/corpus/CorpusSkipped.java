package dev.firebreak.launcher.corpus;

/** A case that cannot run here (a tool's binary is missing); reported as skipped, never as passed. */
public final class CorpusSkipped extends Exception {
    public CorpusSkipped(String reason) {
        super(reason);
    }
}
