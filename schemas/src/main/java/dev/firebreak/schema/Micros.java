package dev.firebreak.schema;

import java.time.Instant;

/** Wall-clock time in epoch microseconds, the unit of every time field on Firebreak topics. */
public final class Micros {
    private Micros() {
    }

    public static long now() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** Renders epoch micros as an ISO instant for logs. */
    public static String format(long epochMicros) {
        return Instant.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L), Math.floorMod(epochMicros, 1_000_000L) * 1_000L).toString();
    }
}
