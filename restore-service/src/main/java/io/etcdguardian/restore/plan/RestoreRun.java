package io.etcdguardian.restore.plan;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.operation.StepRun;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One restore as its targets see it: the cluster, the snapshot, and the facts its steps recorded.
 * While the plan is made (and in a dry run) facts live here only; once the restore runs under its
 * lease they are journaled through the operation's {@link StepRun}, so a step that is about to
 * change something records what it needs to undo or finish it first ({@link #remember}) and a
 * resumed step uses the value seen before the change, not after.
 */
public final class RestoreRun {
    private final ClusterSpec cluster;
    private volatile SnapshotManifest manifest;
    private volatile String source;
    private final String restoreId;
    private final Instant startedAt;
    private final boolean dryRun;
    private final Integer requestedApiServerReplicas;
    private final List<String> overrides;
    private final List<String> notes = new CopyOnWriteArrayList<>();
    private final Map<String, String> planned;
    private final List<String> plannedDone;
    private volatile StepRun steps;
    private volatile java.util.function.LongConsumer fetched = bytes -> {};

    public RestoreRun(
            ClusterSpec cluster,
            SnapshotManifest manifest,
            String restoreId,
            Instant startedAt,
            Map<String, String> facts,
            List<String> done,
            boolean dryRun,
            Integer requestedApiServerReplicas) {
        this(cluster, manifest, restoreId, startedAt, facts, done, dryRun, requestedApiServerReplicas, List.of());
    }

    /** {@code facts} and {@code done}: what the journal holds of a restore that ran before; {@code overrides}: in force. */
    public RestoreRun(
            ClusterSpec cluster,
            SnapshotManifest manifest,
            String restoreId,
            Instant startedAt,
            Map<String, String> facts,
            List<String> done,
            boolean dryRun,
            Integer requestedApiServerReplicas,
            List<String> overrides) {
        this.overrides = List.copyOf(overrides);
        this.cluster = cluster;
        this.manifest = manifest;
        this.restoreId = restoreId;
        this.startedAt = startedAt;
        this.planned = new ConcurrentHashMap<>(facts);
        this.plannedDone = List.copyOf(done);
        this.dryRun = dryRun;
        this.requestedApiServerReplicas = requestedApiServerReplicas;
    }

    /** Whether the operator accepts to break the precondition named {@code override} (RestoreRequested.OVERRIDES). */
    public boolean overrides(String override) {
        return overrides.contains(override);
    }

    /** From here on facts and steps are the journaled operation's. */
    public void runAs(StepRun operation) {
        // a fact found while planning holds from the start of the operation
        planned.forEach(operation::remember);
        this.steps = operation;
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

    /** Where the running step reports bytes of the snapshot it fetches (a progress event at a bounded rate). */
    public void onFetched(java.util.function.LongConsumer listener) {
        this.fetched = listener;
    }

    public java.util.function.LongConsumer fetched() {
        return fetched;
    }

    /** Something the operator must read in the plan (a degraded state found, an override in force). */
    public void note(String note) {
        if (!notes.contains(note)) {
            notes.add(note);
        }
    }

    public List<String> notes() {
        return List.copyOf(notes);
    }

    public ClusterSpec cluster() {
        return cluster;
    }

    public SnapshotManifest manifest() {
        return manifest;
    }

    /**
     * What the restore was asked to restore from: a snapshot id, or a source of SnapshotSources
     * (writers-stopped, member-db) — the same on every resume, whatever snapshot it has by then.
     */
    public String source() {
        return source == null ? manifest.snapshotId() : source;
    }

    public void sourcedFrom(String requested) {
        this.source = requested;
    }

    /** The snapshot a step took for this restore (writers-stopped): the steps after it restore that one. */
    public void useSnapshot(SnapshotManifest taken, String fact) {
        remember(fact, taken.snapshotId());
        this.manifest = taken;
    }

    public String restoreId() {
        return restoreId;
    }

    public Instant startedAt() {
        return startedAt;
    }

    /** A short form of the restore id for object names (Kubernetes names are at most 63 characters). */
    public String shortId() {
        // any event id may name a restore, not only a UUID: a digest keeps it short and name-safe
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(restoreId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 5);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean dryRun() {
        return dryRun;
    }

    /** Whether the step was done (journaled) by this restore, before or now. */
    public boolean done(String step) {
        StepRun operation = steps;
        return operation != null ? operation.done(step) : plannedDone.contains(step);
    }

    public Optional<String> fact(String key) {
        StepRun operation = steps;
        return operation != null ? operation.fact(key) : Optional.ofNullable(planned.get(key));
    }

    /** Records {@code value} unless a fact of that name exists already; returns the recorded one. */
    public String remember(String key, String value) {
        StepRun operation = steps;
        return operation != null ? operation.remember(key, value) : planned.computeIfAbsent(key, k -> value);
    }
}
