package dev.firebreak.stage;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What a probe learns from a stage: {@code live} false means it stopped for good (restart the
 * process), {@code ready} false while live means it is still starting (send no traffic yet).
 *
 * @param live   false once the stage failed or stopped
 * @param ready  true while it does its job; never true when not live
 * @param detail why it is not live or not ready (empty when all is well)
 */
public record Health(boolean live, boolean ready, String detail) {
    public Health {
        Objects.requireNonNull(detail, "detail");
        if (ready && !live) {
            throw new IllegalArgumentException("a stage that is not live cannot be ready");
        }
    }

    /** Doing its job. */
    public static Health up() {
        return new Health(true, true, "");
    }

    /** Alive but not ready yet (starting, or not started). */
    public static Health starting(String detail) {
        return new Health(true, false, detail);
    }

    /** Stopped for good. */
    public static Health failed(String detail) {
        return new Health(false, false, detail);
    }

    /**
     * All of them at once: live when each is live, ready when each is ready; the detail names the
     * stages that are not ready, e.g. {@code detection: detection is ERROR}.
     */
    public static Health of(List<? extends Stage> stages) {
        List<Named> healths = stages.stream().map(s -> new Named(s.name(), s.health())).toList();
        boolean live = healths.stream().allMatch(n -> n.health.live());
        boolean ready = live && healths.stream().allMatch(n -> n.health.ready());
        String detail = healths.stream().filter(n -> !n.health.ready())
                .map(n -> n.name + ": " + n.health.detail()).collect(Collectors.joining("; "));
        return new Health(live, ready, detail);
    }

    private record Named(String name, Health health) {
    }
}
