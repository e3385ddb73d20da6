package dev.firebreak.stage;

import java.time.Duration;
import java.util.List;

/** A stage whose start and health a test scripts, recording what happened to it in {@code log}. */
final class FakeStage implements Stage {
    private final String name;
    private final List<String> log;
    private final RuntimeException startFailure;
    volatile Health health = Health.starting("not started");
    Duration readinessGiven;

    FakeStage(String name, List<String> log, RuntimeException startFailure) {
        this.name = name;
        this.log = log;
        this.startFailure = startFailure;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start(Duration readiness) {
        readinessGiven = readiness;
        log.add("start " + name);
        if (startFailure != null) {
            throw startFailure;
        }
        health = Health.up();
    }

    @Override
    public Health health() {
        return health;
    }

    @Override
    public List<String> describe() {
        return List.of(name + " running");
    }

    @Override
    public void close() {
        log.add("close " + name);
    }
}
