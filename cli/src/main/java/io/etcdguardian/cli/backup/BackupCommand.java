package io.etcdguardian.cli.backup;

import io.cloudevents.CloudEvent;
import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.IdArgs;
import io.etcdguardian.cli.progress.ProgressDisplay;
import io.etcdguardian.cli.progress.Sizes;
import io.etcdguardian.cli.wait.Deadline;
import io.etcdguardian.cli.wait.Durations;
import io.etcdguardian.cli.wait.NoAnswer;
import io.etcdguardian.cli.wait.RunningService;
import io.etcdguardian.cli.wait.TimeoutOption;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.SnapshotProgress;
import io.etcdguardian.common.event.SnapshotStarted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Asks for a backup now and follows it to its snapshot: progress while it runs, then exit 0
 * committed, 1 failed or refused, 3 no answer (snapshot-service not running, or no outcome in time).
 */
@Command(
        name = "backup",
        mixinStandardHelpOptions = true,
        description = "Back up a cluster now and wait for the snapshot.")
public final class BackupCommand implements Callable<Integer> {
    // before it starts the request may queue behind a running snapshot of the cluster; then 1s per 8 MiB
    static final Duration QUEUED = Duration.ofMinutes(10);
    static final long RATE = 8L << 20;

    @Parameters(index = "0", converter = IdArgs.Cluster.class, description = "Cluster id.")
    String cluster;

    @Mixin
    TimeoutOption timeout = new TimeoutOption();

    @Option(
            names = {"-o", "--output"},
            defaultValue = "text",
            description = "text or json (every event, one per line).")
    String output;

    @Mixin
    BackplaneOption backplane = new BackplaneOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        try (EventStream stream = backplane.eventStream();
                EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS);
                EventStream.DeadLetterWatch refused = stream.watchDeadLetters();
                ProgressDisplay progress = ProgressDisplay.of(spec, output, "backup " + cluster)) {
            RunningService.require(stream, "snapshot-service", Topics.BACKUP_REQUESTS);
            CloudEvent request = stream.publish(
                    "/guardian/guardianctl",
                    new BackupRequested(
                            cluster, Trigger.ON_DEMAND, "guardianctl backup", "guardianctl", null, Instant.now()));
            String id = request.getId();
            Deadline deadline = timeout.start(QUEUED, RATE);
            String waitingFor = "the start of a snapshot for request " + id;
            while (!deadline.passed()) {
                Optional<GuardianEvent> next =
                        events.await(e -> id.equals(requestOf(e)), deadline.left(Duration.ofSeconds(2)));
                if (next.isEmpty()) {
                    Optional<String> reason = refused.reasonFor(id);
                    if (reason.isPresent()) {
                        err.println("backup of " + cluster + " refused by snapshot-service: " + reason.get()
                                + " (the request is kept on " + Topics.DEAD_LETTER + ")");
                        return 1;
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
                    return 1;
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
                    return 0;
                }
            }
            throw new NoAnswer("no answer " + deadline.describe() + ": waited for " + waitingFor + " of " + cluster
                    + " (snapshot-service may still be working on it: guardianctl events --cluster " + cluster + ")");
        }
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
