package io.etcdguardian.common.security;

import java.util.Set;

/** What a caller's token lets it do over HTTP; a token holds one or more. */
public final class Roles {
    /** The catalogue, manifests, restores and operations: read-only. */
    public static final String READ = "read";
    /** Work that changes no data an operator cannot get back: backups, drills, defragmentation. */
    public static final String OPERATE = "operate";
    /** Restores: replace a cluster's data. */
    public static final String RESTORE = "restore";

    public static final Set<String> ALL = Set.of(READ, OPERATE, RESTORE);

    private Roles() {}
}
