package io.etcdguardian.restore.plan;

import java.util.List;
import java.util.Optional;

/**
 * One named, idempotent step of a restore: what it does, what it touches (objects, files,
 * commands — exactly, so a dry run is a review), and the action; a step without an action is
 * manual, for an operator on a host. An action returns a line saying what it did. {@code holds}
 * says whether what a done step left is still so (the API servers still at 0, the members still
 * stopped): a restore resumed on its own after a crash re-checks it before it acts again.
 */
public record RestoreStep(String name, String description, List<String> touches, Action action, Holds holds) {

    /** Does the step; run again after a crash it must reach the same end state. */
    @FunctionalInterface
    public interface Action {
        String run(RestoreRun run) throws Exception;
    }

    /** Empty while what the step left is still so; otherwise what changed. */
    @FunctionalInterface
    public interface Holds {
        Optional<String> changed(RestoreRun run);
    }

    public RestoreStep(String name, String description, List<String> touches, Action action) {
        this(name, description, touches, action, r -> Optional.empty());
    }

    public static RestoreStep manual(String name, String description, List<String> commands) {
        return new RestoreStep(name, description, commands, null);
    }

    public RestoreStep holding(Holds check) {
        return new RestoreStep(name, description, touches, action, check);
    }

    public boolean manual() {
        return action == null;
    }
}
