package dev.firebreak.launcher.preflight;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a client does when Firebreak cannot be reached, per target environment:
 * {@code production=closed,prod=closed,*=open} by default. {@code *} is every other environment,
 * {@code unset} a record without one.
 */
public final class FailModes {
    /** The default: closed for production, open elsewhere. */
    public static final String DEFAULT = "production=closed,prod=closed,unset=closed,*=open";

    private final Map<String, Boolean> open;
    private final boolean otherwiseOpen;

    private FailModes(Map<String, Boolean> open, boolean otherwiseOpen) {
        this.open = Map.copyOf(open);
        this.otherwiseOpen = otherwiseOpen;
    }

    /**
     * Parses {@code env=open|closed,...}.
     *
     * @throws IllegalArgumentException naming the entry and the allowed values
     */
    public static FailModes parse(String spec) {
        Map<String, Boolean> open = new HashMap<>();
        Boolean otherwise = null;
        for (String entry : spec.split(",")) {
            String[] kv = entry.trim().split("=", 2);
            if (kv.length != 2 || kv[0].isBlank() || !(kv[1].trim().equals("open") || kv[1].trim().equals("closed"))) {
                throw new IllegalArgumentException("invalid fail mode '" + entry.trim()
                        + "'; allowed: <environment>=open|closed, comma-separated, * for every other environment");
            }
            boolean isOpen = kv[1].trim().equals("open");
            if (kv[0].trim().equals("*")) {
                otherwise = isOpen;
            } else {
                open.put(kv[0].trim().toLowerCase(Locale.ROOT), isOpen);
            }
        }
        // Without '*', an environment nobody listed fails closed: safe unless said otherwise.
        return new FailModes(open, otherwise != null && otherwise);
    }

    /** Whether an action on {@code environment} (null: none named) goes ahead when Firebreak is unreachable. */
    public boolean openFor(String environment) {
        String key = environment == null ? "unset" : environment.toLowerCase(Locale.ROOT);
        return open.getOrDefault(key, otherwiseOpen);
    }
}
