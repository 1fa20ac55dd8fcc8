package io.etcdguardian.cli.backup;

import io.etcdguardian.cli.progress.ProgressDisplay;
import io.etcdguardian.cli.progress.Sizes;
import io.etcdguardian.cli.wait.Deadline;
import io.etcdguardian.cli.wait.Durations;
import io.etcdguardian.cli.wait.NoAnswer;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.SnapshotProgress;
import io.etcdguardian.common.event.SnapshotStarted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;

/** Follows one backup request to its snapshot, showing its progress: for {@code backup} and point-in-time restores. */
public final class BackupFollower {
    private BackupFollower() {}

    /** The exit code (0 committed, 1 failed or refused) and, when committed, its event. */
    public record Outcome(int exitCode, SnapshotCompleted completed) {}

    /** Throws {@link NoAnswer} (exit 3) when no outcome came before the deadline. */
    public static Outcome follow(
            EventStream.Follower events,
            EventStream.DeadLetterWatch refused,
            ProgressDisplay progress,
            PrintWriter err,
            String cluster,
            String id,
            Deadline deadline)
            throws NoAnswer {
        String waitingFor = "the start of a snapshot for request " + id;
        while (!deadline.passed()) {
            Optional<GuardianEvent> next =
                    events.await(e -> id.equals(requestOf(e)), deadline.left(Duration.ofSeconds(2)));
            if (next.isEmpty()) {
                Optional<String> reason = refused.reasonFor(id);
                if (reason.isPresent()) {
                    err.println("backup of " + cluster + " refused by snapshot-service: " + reason.get()
                            + " (the request is kept on " + Topics.DEAD_LETTER + ")");
                    return new Outcome(1, null);
                }
                continue;
            }
            GuardianEvent event = next.get();
            progress.event(event);
            if (event instanceof SnapshotStarted s) {
                if (s.expectedBytes() != null) {
                    deadline.sizeFor(s.expectedBytes());
                }
                waitingFor = "the end of snapshot " + s.snapshotId();
                progress.line("snapshot " + s.snapshotId() + " of " + cluster + " started from " + s.member()
                        + (s.expectedBytes() == null ? "" : " (database " + Sizes.format(s.expectedBytes()) + ")"));
            } else if (event instanceof SnapshotProgress p) {
                deadline.sizeFor(p.bytesTotal());
                progress.bytes(
                        p.bytesUploaded(),
                        p.bytesTotal(),
                        "captured " + Sizes.format(p.bytesCaptured())
                                + (p.bytesPerSecond() > 0 ? ", " + Sizes.format(p.bytesPerSecond()) + "/s" : "")
                                + (p.etaSeconds() == null
                                        ? ""
                                        : ", ETA " + Durations.format(Duration.ofSeconds(p.etaSeconds()))));
            } else if (event instanceof SnapshotFailed failed) {
                progress.close();
                err.println("backup of " + cluster + " FAILED: " + failed.reason() + ": " + failed.detail());
                return new Outcome(1, null);
            } else if (event instanceof SnapshotCompleted done) {
                progress.close();
                progress.line(String.format(
                        "snapshot %s of %s: revision %d, %d keys, %s raw, %s stored, in %s, s3://%s/%s",
                        done.snapshotId(),
                        cluster,
                        done.revision(),
                        done.totalKeys(),
                        Sizes.format(done.sizeRaw()),
                        Sizes.format(done.sizeStored()),
                        Durations.format(Duration.ofMillis(done.durationMs())),
                        done.bucket(),
                        done.objectKey()));
                return new Outcome(0, done);
            }
        }
        throw new NoAnswer("no answer " + deadline.describe() + ": waited for " + waitingFor + " of " + cluster
                + " (snapshot-service may still be working on it: guardianctl events --cluster " + cluster + ")");
    }

    private static String requestOf(GuardianEvent e) {
        if (e instanceof SnapshotStarted s) {
            return s.requestId();
        }
        if (e instanceof SnapshotProgress p) {
            return p.requestId();
        }
        if (e instanceof SnapshotCompleted c) {
            return c.requestId();
        }
        return e instanceof SnapshotFailed f ? f.requestId() : null;
    }
}
