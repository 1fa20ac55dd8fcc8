package io.etcdguardian.restore.plan;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.util.Optional;

/**
 * One restore as its steps see it: the cluster, the snapshot, and the journaled state. A step that
 * is about to change something records what it needs to undo or finish it first ({@link #remember}),
 * durably, so that a resumed step uses the value seen before the change, not after.
 */
public final class RestoreRun {
    private final ClusterSpec cluster;
    private final SnapshotManifest manifest;
    private final RestoreJournal journal;
    private final boolean dryRun;
    private final Integer requestedApiServerReplicas;
    private final java.util.List<String> notes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile RestoreState state;

    public RestoreRun(ClusterSpec cluster, SnapshotManifest manifest, RestoreState state, RestoreJournal journal,
                      boolean dryRun, Integer requestedApiServerReplicas) {
        this.cluster = cluster;
        this.manifest = manifest;
        this.state = state;
        this.journal = journal;
        this.dryRun = dryRun;
        this.requestedApiServerReplicas = requestedApiServerReplicas;
    }

    /**
     * The replicas API servers get back when they were found at 0 — the cluster's intended state, from
     * the request or the fleet ({@code restore.apiServerReplicas}); empty when neither says.
     */
    public Optional<Integer> intendedApiServerReplicas() {
        if (requestedApiServerReplicas != null) {
            return Optional.of(requestedApiServerReplicas);
        }
        return Optional.ofNullable(cluster.restore()).map(io.etcdguardian.common.fleet.RestoreSpec::apiServerReplicas);
    }

    /** Something the operator must read in the plan (a degraded state found, an override in force). */
    public void note(String note) {
        if (!notes.contains(note)) {
            notes.add(note);
        }
    }

    public java.util.List<String> notes() {
        return java.util.List.copyOf(notes);
    }

    public ClusterSpec cluster() {
        return cluster;
    }

    public SnapshotManifest manifest() {
        return manifest;
    }

    public String restoreId() {
        return state.restoreId();
    }

    /** A short form of the restore id for object names (Kubernetes names are at most 63 characters). */
    public String shortId() {
        // any event id may name a restore, not only a UUID: a digest keeps it short and name-safe
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(state.restoreId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 5);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean dryRun() {
        return dryRun;
    }

    public RestoreState state() {
        return state;
    }

    public Optional<String> fact(String key) {
        return Optional.ofNullable(state.facts().get(key));
    }

    /** Records {@code value} unless a fact of that name exists already; returns the recorded one. */
    public String remember(String key, String value) {
        Optional<String> known = fact(key);
        if (known.isPresent()) {
            return known.get();
        }
        update(state.withFact(key, value));
        return value;
    }

    public void update(RestoreState next) {
        state = dryRun ? next : journal.record(next);
    }
}
