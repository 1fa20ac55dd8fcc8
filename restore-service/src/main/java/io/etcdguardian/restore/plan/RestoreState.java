package io.etcdguardian.restore.plan;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How far a restore got, as it is journaled: the steps done, the facts steps recorded before they
 * changed anything (replica counts to scale back to, the previous pause value), and where and why
 * it stopped. Never holds a secret or a presigned URL.
 */
public record RestoreState(String restoreId, String clusterId, String target, String snapshotId, List<String> overrides,
                           String status, List<String> done, Map<String, String> facts, String failedStep,
                           String failure, Instant startedAt, Instant updatedAt) {
    public static final String RUNNING = "RUNNING";
    public static final String FAILED = "FAILED";
    public static final String COMPLETED = "COMPLETED";
    public static final String HANDED_OVER = "HANDED_OVER";

    public RestoreState {
        overrides = overrides == null ? List.of() : List.copyOf(overrides);
    }

    public static RestoreState start(String restoreId, String clusterId, String target, String snapshotId,
                                     List<String> overrides) {
        Instant now = Instant.now();
        return new RestoreState(restoreId, clusterId, target, snapshotId, overrides, RUNNING, List.of(), Map.of(), null,
                null, now, now);
    }

    public RestoreState withDone(String step) {
        List<String> steps = new ArrayList<>(done);
        if (!steps.contains(step)) {
            steps.add(step);
        }
        return new RestoreState(restoreId, clusterId, target, snapshotId, overrides, status, List.copyOf(steps), facts,
                failedStep, failure, startedAt, Instant.now());
    }

    /** Marks steps to run again: an operator resumed a restore whose done steps no longer hold. */
    public RestoreState withoutDone(List<String> steps) {
        List<String> left = new ArrayList<>(done);
        left.removeAll(steps);
        return new RestoreState(restoreId, clusterId, target, snapshotId, overrides, status, List.copyOf(left), facts,
                failedStep, failure, startedAt, Instant.now());
    }

    public RestoreState withFact(String key, String value) {
        Map<String, String> all = new LinkedHashMap<>(facts);
        all.put(key, value);
        return new RestoreState(restoreId, clusterId, target, snapshotId, overrides, status, done, Map.copyOf(all),
                failedStep, failure, startedAt, Instant.now());
    }

    public RestoreState withStatus(String newStatus, String step, String why) {
        return new RestoreState(restoreId, clusterId, target, snapshotId, overrides, newStatus, done, facts, step, why,
                startedAt, Instant.now());
    }

    public boolean finished() {
        return COMPLETED.equals(status) || HANDED_OVER.equals(status);
    }
}
