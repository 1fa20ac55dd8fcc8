package io.etcdguardian.common.operation;

import java.util.Set;

/**
 * The operations of DESIGN §2. Each holds its own per-cluster lease while it runs; {@link #excludes}
 * names the kinds that must not run on the same cluster at the same time (no defragmentation and no
 * retention during a restore, and the other way round).
 */
public enum OperationKind {
    SNAPSHOT,
    DRILL,
    RETENTION,
    DEFRAG,
    RESTORE;

    public Set<OperationKind> excludes() {
        return switch (this) {
            case RESTORE -> Set.of(DEFRAG, RETENTION);
            case DEFRAG, RETENTION -> Set.of(RESTORE);
            case SNAPSHOT, DRILL -> Set.of();
        };
    }

    /** How the kind appears in keys and names. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
