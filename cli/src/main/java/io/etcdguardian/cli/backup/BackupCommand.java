package io.etcdguardian.cli.backup;

import io.cloudevents.CloudEvent;
import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.IdArgs;
import io.etcdguardian.cli.options.PointInTimeOptions;
import io.etcdguardian.cli.progress.ProgressDisplay;
import io.etcdguardian.cli.wait.RunningService;
import io.etcdguardian.cli.wait.TimeoutOption;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Asks for a backup now and follows it to its snapshot: progress while it runs, then exit 0
 * committed, 1 failed or refused, 3 no answer (snapshot-service not running, or no outcome in time).
 * With {@code --to-revision} or {@code --to-time}, the snapshot is the cluster as it was then, made
 * from a snapshot and the journal without asking the cluster.
 */
@Command(
        name = "backup",
        mixinStandardHelpOptions = true,
        description = "Back up a cluster now and wait for the snapshot.")
public final class BackupCommand implements Callable<Integer> {
    // before it starts the request may queue behind a running snapshot of the cluster; then 1s per 8 MiB
    public static final Duration QUEUED = Duration.ofMinutes(10);
    public static final long RATE = 8L << 20;

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

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    PointInTimeOptions pointInTime;

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
                    pointInTime != null
                            ? pointInTime.request(cluster, "guardianctl")
                            : new BackupRequested(
                                    cluster,
                                    Trigger.ON_DEMAND,
                                    "guardianctl backup",
                                    "guardianctl",
                                    null,
                                    Instant.now()));
            return BackupFollower.follow(
                            events, refused, progress, err, cluster, request.getId(), timeout.start(QUEUED, RATE))
                    .exitCode();
        }
    }
}
