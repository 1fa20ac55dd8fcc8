package io.etcdguardian.common.event;

import java.util.List;

/**
 * Every topic of the backplane, in one place. Partition counts are fixed up front: changing them
 * re-maps cluster ids to partitions and breaks per-cluster ordering.
 */
public final class Topics {
    public static final String BACKUP_REQUESTS = "guardian.backup.requests";
    public static final String SNAPSHOT_EVENTS = "guardian.snapshot.events";
    public static final String MAINTENANCE_REQUESTS = "guardian.maintenance.requests";
    public static final String HEALTH_EVENTS = "guardian.health.events";
    public static final String RESTORE_REQUESTS = "guardian.restore.requests";
    public static final String RESTORE_EVENTS = "guardian.restore.events";
    public static final String SCHEDULER_EVENTS = "guardian.scheduler.events";
    /** Compacted: key = cluster id, value = that cluster's spec, tombstone = removed. */
    public static final String FLEET_CONFIG = "guardian.fleet.config";
    /** Compacted: key = cluster id (or cluster/upgrade), value = the last slot or version handled. */
    public static final String SCHEDULER_STATE = "guardian.scheduler.state";
    /**
     * Compacted: key = operation id (a restore's id for restores), value = the operation's record
     * (JSON: plan, steps done, facts, outcome): a restarted service resumes a RUNNING one where it
     * was; a redelivered or replayed request finds an ended one and repeats its outcome.
     */
    public static final String OPERATIONS = "guardian.operations";
    /**
     * Compacted: the fleet catalogue — key = cluster id (its snapshots in a few lines: newest, newest
     * restorable, count, bytes) or {@code <cluster>/operation/<KIND>} (the last operation of that kind);
     * rebuilt from the manifests and the operations journal on demand.
     */
    public static final String CATALOG = "guardian.catalog";
    /** One partition: the scheduler replica that owns it is the one that emits scheduled requests. */
    public static final String SCHEDULER_LEADER = "guardian.scheduler.leader";
    /** Messages that could not be parsed or handled, with the reason in headers. */
    public static final String DEAD_LETTER = "guardian.deadletter";

    public static final int PARTITIONS = 12;

    /**
     * A topic with its partition count, whether it keeps only the latest value per key, and how long a
     * compacted topic keeps a key at all ({@code retention} null: forever) — for tables whose keys are
     * one-off, like operation ids, which compaction alone would keep forever.
     */
    public record Topic(String name, int partitions, boolean compacted, java.time.Duration retention) {
        public Topic(String name, int partitions, boolean compacted) {
            this(name, partitions, compacted, null);
        }
    }

    /** How long an operation's outcome is remembered: far longer than any request waits to be redelivered. */
    public static final java.time.Duration OPERATIONS_RETENTION = java.time.Duration.ofDays(30);

    public static List<Topic> all() {
        return List.of(
                new Topic(BACKUP_REQUESTS, PARTITIONS, false),
                new Topic(SNAPSHOT_EVENTS, PARTITIONS, false),
                new Topic(MAINTENANCE_REQUESTS, PARTITIONS, false),
                new Topic(HEALTH_EVENTS, PARTITIONS, false),
                new Topic(RESTORE_REQUESTS, PARTITIONS, false),
                new Topic(RESTORE_EVENTS, PARTITIONS, false),
                new Topic(SCHEDULER_EVENTS, PARTITIONS, false),
                new Topic(FLEET_CONFIG, PARTITIONS, true),
                new Topic(SCHEDULER_STATE, PARTITIONS, true),
                new Topic(OPERATIONS, PARTITIONS, true, OPERATIONS_RETENTION),
                new Topic(CATALOG, PARTITIONS, true),
                new Topic(SCHEDULER_LEADER, 1, false),
                new Topic(DEAD_LETTER, 3, false));
    }

    private Topics() {}
}
