package dev.firebreak.launcher.demo;

import java.io.PrintStream;
import java.util.Locale;

/** Prints what happens, with the time since the start, one event per line. */
public final class Timeline {
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private final boolean quiet;

    public Timeline(PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
    }

    public synchronized void event(String who, String what) {
        if (!quiet) {
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            out.printf(Locale.ROOT, "[%8.3fs] %-12s %s%n", seconds, who, what);
        }
    }

    public synchronized void line(String text) {
        if (!quiet) {
            out.println(text);
        }
    }
}
