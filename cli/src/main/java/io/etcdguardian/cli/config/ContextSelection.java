package io.etcdguardian.cli.config;

import java.util.Optional;

/**
 * The context this invocation runs in: --context (any command), else $GUARDIAN_CONTEXT, else the
 * config's current one; none when there is no config — then flags, environment and the local
 * backplane decide, as before contexts existed.
 */
public final class ContextSelection {
    private static volatile String asked;
    // read once per invocation: every Kafka client and service URL asks, status --fleet twice per cluster
    private static volatile Optional<GuardianConfig.Context> resolved;

    private ContextSelection() {}

    public static void select(String name) {
        asked = name;
        resolved = null;
    }

    public static Optional<GuardianConfig.Context> current() {
        Optional<GuardianConfig.Context> known = resolved;
        if (known == null) {
            String name = asked != null ? asked : System.getenv("GUARDIAN_CONTEXT");
            known = GuardianConfig.load(GuardianConfig.location()).selected(name);
            resolved = known;
        }
        return known;
    }
}
