package dev.firebreak.stage;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;

/** How each stage module builds its stage: from the flat settings, with its meters in {@code meters}. */
@FunctionalInterface
public interface StageFactory {

    /**
     * Reads and checks the stage's settings; starts nothing.
     *
     * @throws IllegalArgumentException naming the bad or missing key
     */
    Stage create(Map<String, String> settings, MeterRegistry meters);
}
