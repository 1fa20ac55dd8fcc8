package io.etcdguardian.cli.backup;

import io.cloudevents.CloudEvent;
import io.etcdguardian.cli.BackplaneOption;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.SnapshotStarted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Asks for a backup now and waits for its snapshot: exit 0 committed, 1 failed, 3 no answer in time. */
@Command(name = "backup", mixinStandardHelpOptions = true, description = "Back up a cluster now and wait for the snapshot.")
public final class BackupCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Cluster id.")
    String cluster;

    @Option(names = "--timeout", defaultValue = "1800", description = "Seconds to wait (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json.")
    String output;

    @Mixin
    BackplaneOption backplane = new BackplaneOption();

    @Override
    public Integer call() throws Exception {
        try (EventStream stream = new EventStream(backplane.bootstrapServers());
             EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            CloudEvent request = stream.publish("/guardian/guardianctl", new BackupRequested(cluster, Trigger.ON_DEMAND,
                    "guardianctl backup", "guardianctl", null, Instant.now()));
            String id = request.getId();
            Optional<GuardianEvent> outcome = events.await(e -> {
                if (e instanceof SnapshotStarted s && id.equals(s.requestId())) {
                    // progress for a long capture: which snapshot, from which member, since when
                    System.err.printf("snapshot %s of %s started from %s%n", s.snapshotId(), cluster, s.member());
                }
                return (e instanceof SnapshotCompleted c && id.equals(c.requestId()))
                        || (e instanceof SnapshotFailed f && id.equals(f.requestId()));
            }, Duration.ofSeconds(timeoutSeconds));
            if (outcome.isEmpty()) {
                System.err.println("no snapshot for request " + id + " within " + timeoutSeconds + "s");
                return 3;
            }
            if ("json".equals(output)) {
                System.out.println(EventJson.MAPPER.writeValueAsString(outcome.get()));
            }
            if (outcome.get() instanceof SnapshotFailed failed) {
                System.err.println("backup of " + cluster + " FAILED: " + failed.reason() + ": " + failed.detail());
                return 1;
            }
            SnapshotCompleted done = (SnapshotCompleted) outcome.get();
            if (!"json".equals(output)) {
                System.out.printf("snapshot %s of %s: revision %d, %d keys, %d bytes raw, %d stored, s3://%s/%s%n",
                        done.snapshotId(), cluster, done.revision(), done.totalKeys(), done.sizeRaw(), done.sizeStored(),
                        done.bucket(), done.objectKey());
            }
            return 0;
        }
    }
}
