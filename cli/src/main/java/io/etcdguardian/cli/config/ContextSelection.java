package io.etcdguardian.cli.config;

import java.util.Optional;

/**
 * The context this invocation runs in: --context (any command), else $GUARDIAN_CONTEXT, else the
 * config's current one; none when there is no config — then flags, environment and the local
 * backplane decide, as before contexts existed.
 */
public final class ContextSelection {
    private static volatile String asked;

    private ContextSelection() {}

    public static void select(String name) {
        asked = name;
    }

    public static Optional<GuardianConfig.Context> current() {
        String name = asked != null ? asked : System.getenv("GUARDIAN_CONTEXT");
        return GuardianConfig.load(GuardianConfig.location()).selected(name);
    }
}
