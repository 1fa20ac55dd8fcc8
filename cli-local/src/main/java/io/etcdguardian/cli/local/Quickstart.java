package io.etcdguardian.cli.local;

import com.github.luben.zstd.ZstdInputStream;
import io.cloudevents.CloudEvent;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.event.SnapshotVerified;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kafka.TopicAccess;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.Etcdctl;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The main job end to end on this machine: start everything, write some keys into the local etcd,
 * ask for a backup through Kafka, follow the snapshot events, then fetch the stored object from S3
 * and let the real `etcdctl snapshot status` read it.
 */
@Command(
        name = "quickstart",
        mixinStandardHelpOptions = true,
        description = "Start everything locally, back up the local etcd cluster into the local S3 and show the result.")
final class Quickstart implements Callable<Integer> {
    @Mixin
    LocalCommand.StateOption options = new LocalCommand.StateOption();

    @Option(
            names = "--keys",
            defaultValue = "2000",
            description = "Keys to write before the backup (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(
            names = "--timeout",
            defaultValue = "120",
            description = "Seconds to wait for the snapshot (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        System.out.println("== starting etcd x3, Kafka, S3Proxy and the four services under " + options.state);
        LocalCommand.LocalStack stack = LocalCommand.up(options, true);
        stack.print();

        System.out.println("\n== writing " + keys + " keys into the local etcd");
        seed(stack.backplane().etcd().endpoints(), keys);

        System.out.println("\n== publishing a backup request for cluster '" + LocalFleet.CLUSTER_ID + "' on "
                + Topics.BACKUP_REQUESTS);
        Optional<GuardianEvent> outcome;
        Optional<SnapshotVerified> drill = Optional.empty();
        String requestId;
        try (EventStream stream = new EventStream(
                        stack.backplane().kafka().bootstrapServers(),
                        stack.backplane().kafka().clientProperties(TopicAccess.CLI));
                EventStream.Follower follower = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            CloudEvent request = stream.publish(
                    "/guardian/guardianctl",
                    new BackupRequested(
                            LocalFleet.CLUSTER_ID,
                            Trigger.ON_DEMAND,
                            "quickstart",
                            "guardianctl",
                            null,
                            Instant.now()));
            requestId = request.getId();
            System.out.println("   request id " + requestId + "; following " + Topics.SNAPSHOT_EVENTS);
            outcome = follower.await(
                    e -> (e instanceof SnapshotCompleted c && requestId.equals(c.requestId()))
                            || (e instanceof SnapshotFailed f && requestId.equals(f.requestId())),
                    Duration.ofSeconds(timeoutSeconds));
            if (outcome.isPresent() && outcome.get() instanceof SnapshotCompleted c) {
                // snapshot-service drills a small snapshot right after committing it
                drill = follower.await(
                                e -> e instanceof SnapshotVerified v
                                        && v.snapshotId().equals(c.snapshotId()),
                                Duration.ofSeconds(timeoutSeconds))
                        .map(SnapshotVerified.class::cast);
            }
        }
        if (outcome.isEmpty()) {
            System.err.println("no snapshot event for request " + requestId + " within " + timeoutSeconds
                    + "s; see the logs under " + stack.backplane().stateDir().resolve("services"));
            return 1;
        }
        if (outcome.get() instanceof SnapshotFailed failed) {
            System.err.println("snapshot FAILED: " + failed.reason() + ": " + failed.detail());
            return 1;
        }
        SnapshotCompleted done = (SnapshotCompleted) outcome.get();
        System.out.println("\n== snapshot committed");
        System.out.printf(
                "   snapshot   %s (from member %s, etcd %s)%n", done.snapshotId(), done.member(), done.etcdVersion());
        System.out.printf("   object     s3://%s/%s%n", done.bucket(), done.objectKey());
        System.out.printf("   manifest   s3://%s/%s%n", done.bucket(), done.manifestKey());
        System.out.printf("   revision   %d, %d keys, sha256 %s%n", done.revision(), done.totalKeys(), done.sha256());
        System.out.printf(
                "   size       %d bytes raw, %d stored (%s), %d ms, %.1f MB/s%n",
                done.sizeRaw(), done.sizeStored(), done.compression(), done.durationMs(), done.bytesPerSecond() / 1e6);

        System.out.println(drill.map(v -> "\n== restore drill right after the capture: " + v.result() + ": "
                        + v.detail() + " (" + v.durationMs() + " ms)")
                .orElse("\n== no restore drill yet (`./guardian verify" + " local` runs one)"));

        System.out.println("\n== independent check: download the object and run `"
                + EtcdBinaries.snapshotTool().getFileName() + " snapshot status`");
        Path db = download(stack, done);
        System.out.print(Etcdctl.run(
                List.of(EtcdBinaries.snapshotTool().toString(), "snapshot", "status", db.toString(), "-w", "table")));
        Files.deleteIfExists(db);
        System.out.println("\nEverything keeps running; `java -jar cli/target/guardianctl.jar local status` shows it,"
                + " `./guardian down` stops it.");
        return 0;
    }

    private static void seed(List<String> endpoints, int keys) throws Exception {
        try (Client client =
                Client.builder().endpoints(endpoints.toArray(String[]::new)).build()) {
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (int i = 0; i < keys; i++) {
                puts.add(client.getKVClient()
                        .put(
                                ByteSequence.from("/registry/quickstart/key-" + i, StandardCharsets.UTF_8),
                                ByteSequence.from(("value-" + i + "-").repeat(20), StandardCharsets.UTF_8)));
                if (puts.size() == 200) {
                    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new))
                            .get();
                    puts.clear();
                }
            }
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get();
        }
    }

    private static Path download(LocalCommand.LocalStack stack, SnapshotCompleted done) throws Exception {
        Path db = Files.createTempFile("quickstart-", ".db");
        try (S3Client s3 = stack.backplane().s3().client();
                InputStream object = s3.getObject(b -> b.bucket(done.bucket()).key(done.objectKey()));
                InputStream raw = "zstd".equals(done.compression()) ? new ZstdInputStream(object) : object;
                OutputStream out = Files.newOutputStream(db)) {
            raw.transferTo(out);
        }
        return db;
    }
}
