package io.etcdguardian.restore.plan;

import java.util.List;

/**
 * One named, idempotent step of a restore: what it does, what it touches (objects, files,
 * commands — exactly, so a dry run is a review), and the action; a step without an action is
 * manual, for an operator on a host. An action returns a line saying what it did.
 */
public record RestoreStep(String name, String description, List<String> touches, Action action) {

    /** Does the step; run again after a crash it must reach the same end state. */
    @FunctionalInterface
    public interface Action {
        String run(RestoreRun run) throws Exception;
    }

    public static RestoreStep manual(String name, String description, List<String> commands) {
        return new RestoreStep(name, description, commands, null);
    }

    public boolean manual() {
        return action == null;
    }
}
