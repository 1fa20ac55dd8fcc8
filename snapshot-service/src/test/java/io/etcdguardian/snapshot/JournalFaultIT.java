package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.S3ProxyServer;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.JournalGapRecorded;
import io.etcdguardian.common.event.JournalSegmentCommitted;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetParser;
import io.etcdguardian.common.journal.JournalCoverage;
import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.journal.JournalKeys;
import io.etcdguardian.common.journal.JournalStore;
import io.etcdguardian.common.journal.PointInTimePlan;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.security.CallerTokens;
import io.etcdguardian.common.security.Roles;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.localetcd.FreePorts;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal under faults, on real processes: S3 down for 30 s while etcd takes writes (nothing lost,
 * no hole: the writer holds what it received and commits it once the store is back), and the writer down
 * while etcd compacts past it (the lost revisions are recorded as a gap, a snapshot is asked for at once,
 * and the journal goes on from the compaction; a restore into the gap is refused, one after it is planned).
 */
@ExtendWith(BackplaneExtension.class)
class JournalFaultIT {
    private static final String BUCKET = "journal-faults";

    @TempDir
    Path dir;

    @Test
    void aStoreOutageLosesNothingAndACompactionIsAGapWithASnapshotAskedFor(Backplane backplane) throws Exception {
        String id = "jfault-" + UUID.randomUUID().toString().substring(0, 6);
        S3ProxyServer s3 = S3ProxyServer.plan(dir.resolve("s3")).start();
        s3.createBucket(BUCKET);
        EtcdCluster source = EtcdCluster.plan(dir.resolve("source"), 1, 0).start();
        String fleetYaml = """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                """.formatted(
                        id,
                        source.endpoints().get(0),
                        BUCKET,
                        s3.endpoint(),
                        s3.writeCredentials(dir.resolve("s3.properties")));
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), fleetYaml);
        ClusterSpec cluster = FleetParser.parseDocument(fleetYaml).clusters().get(id);
        JournalStore journal =
                new JournalStore(new SnapshotStores(new S3Clients()), new EncryptionKeys(new KubernetesClients("")));
        SnapshotCatalog catalog = new SnapshotCatalog(new SnapshotStores(new S3Clients()));
        Path logs = Path.of("target", "journal-faults-" + id);
        List<String> settings = List.of(
                "-Dguardian.journal.enabled=true",
                "-Dguardian.journal.segment-interval=500ms",
                "-Dguardian.journal.retry-backoff=1s",
                "-Dguardian.snapshot.drill.enabled=false",
                "-Dguardian.snapshot.drill-after-capture-max-bytes=0");
        ChildProcess service = null;
        try (Client client =
                        Client.builder().endpoints(source.endpoints().get(0)).build();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers())) {
            Writes writes = new Writes(client);
            writes.put(20);
            service = ForkedSnapshotService.start(
                    "journal-faults", logs, dir, backplane, fleet, "jfault-" + id, dir.resolve("spool"), settings);
            EventStream.Follower events = stream.follow(Topics.SNAPSHOT_EVENTS); // the service made the topic
            assertThat(SnapshotRequests.outcome(stream, id)).isInstanceOf(SnapshotCompleted.class);
            long before = writes.put(20);
            await().atMost(Duration.ofSeconds(60)).until(() -> committedTo(journal, cluster) >= before);

            // S3 down for 30 s while etcd takes writes
            s3.kill();
            Instant outage = Instant.now();
            long duringOutage = 0;
            while (Duration.between(outage, Instant.now()).compareTo(Duration.ofSeconds(30)) < 0) {
                duringOutage = writes.put(1);
                Thread.sleep(20); // pacing the workload, not awaiting anything
            }
            s3.start();
            long afterOutage = duringOutage;
            await().atMost(Duration.ofSeconds(60)).until(() -> committedTo(journal, cluster) >= afterOutage);
            assertContiguous(journal.segments(cluster, JournalEpoch.FIRST));
            assertThat(journal.gaps(cluster, JournalEpoch.FIRST))
                    .as("an outage of the store is no gap")
                    .isEmpty();
            assertThat(events.await(
                            e -> e instanceof JournalSegmentCommitted c
                                    && c.clusterId().equals(id)
                                    && c.toRevision() >= afterOutage,
                            Duration.ofSeconds(30)))
                    .as("segment committed event up to the last revision written during the outage")
                    .isPresent();

            // the writer down while etcd compacts past it
            service.kill();
            long lastCommitted = committedTo(journal, cluster);
            writes.put(50);
            long compactAt = writes.put(1);
            source.etcdctl("compact", String.valueOf(compactAt));
            writes.put(10);
            service = ForkedSnapshotService.start(
                    "journal-faults-2", logs, dir, backplane, fleet, "jfault-" + id, dir.resolve("spool"), settings);
            JournalGapRecorded gap = (JournalGapRecorded) events.await(
                            e -> e instanceof JournalGapRecorded g
                                    && g.clusterId().equals(id),
                            Duration.ofSeconds(60))
                    .orElseThrow(() -> new AssertionError("no gap recorded"));
            assertThat(gap.fromRevision()).isEqualTo(lastCommitted + 1);
            assertThat(gap.toRevision()).isEqualTo(compactAt - 1);
            assertThat(gap.snapshotRequested()).isTrue();
            assertThat(journal.gaps(cluster, JournalEpoch.FIRST))
                    .containsExactly(new JournalKeys.Range(lastCommitted + 1, compactAt - 1));
            SnapshotCompleted rebased = (SnapshotCompleted) events.await(
                            e -> e instanceof SnapshotCompleted c
                                    && c.clusterId().equals(id)
                                    && c.revision() >= compactAt,
                            Duration.ofSeconds(60))
                    .orElseThrow(() -> new AssertionError("no snapshot after the gap"));
            long last = writes.put(30);
            await().atMost(Duration.ofSeconds(60)).until(() -> committedTo(journal, cluster) >= last);

            List<JournalKeys.Range> segments = journal.segments(cluster, JournalEpoch.FIRST);
            var snapshots = catalog.list(cluster);
            assertThatThrownBy(() -> PointInTimePlan.of(JournalEpoch.FIRST, snapshots, segments, compactAt - 2))
                    .as("a revision in the gap is not restorable")
                    .isInstanceOf(GuardianException.class)
                    .satisfies(e -> assertThat(((GuardianException) e).reason()).isEqualTo(Reason.NOT_FOUND));
            PointInTimePlan after = PointInTimePlan.of(JournalEpoch.FIRST, snapshots, segments, last);
            assertThat(after.base().snapshotId()).isEqualTo(rebased.snapshotId());
            assertThat(after.segments()).isNotEmpty();

            // etcd restored behind the journal's back (another token, revisions going back): a new epoch
            Path saved = dir.resolve("saved.db");
            source.etcdctl("snapshot", "save", saved.toString());
            long oldHistory = writes.put(30);
            await().atMost(Duration.ofSeconds(60)).until(() -> committedTo(journal, cluster) >= oldHistory);
            source.stop();
            source = source.withToken("restored-" + id);
            source.restoreFrom(saved, List.of());
            source.start();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> journal.epochs(cluster).size() == 2);
            JournalEpoch second = journal.currentEpoch(cluster);
            assertThat(events.await(
                            e -> e instanceof SnapshotCompleted c
                                    && c.clusterId().equals(id)
                                    && c.takenAt().isAfter(second.startedAt()),
                            Duration.ofSeconds(60)))
                    .as("a snapshot of the new history, asked for by the journal")
                    .isPresent();
            long newHistory = writes.put(20);
            assertThat(newHistory)
                    .as("the new history numbers revisions the old one has")
                    .isLessThan(oldHistory);
            PointInTimePlan inNew = await().atMost(Duration.ofSeconds(60))
                    .ignoreExceptionsInstanceOf(GuardianException.class)
                    .until(
                            () -> PointInTimePlan.of(
                                    second,
                                    second.snapshots(catalog.list(cluster), java.util.Optional.empty()),
                                    journal.segments(cluster, second),
                                    newHistory),
                            plan -> true);
            assertThat(inNew.base().takenAt())
                    .as("based on a snapshot of the new history only")
                    .isAfter(second.startedAt());
            assertThat(committedTo(journal, cluster))
                    .as("the old history's journal is kept under its epoch")
                    .isGreaterThanOrEqualTo(oldHistory);
            events.close();
        } finally {
            if (service != null) {
                service.kill();
            }
            source.stop();
            s3.stop();
        }
    }

    /**
     * Retention prunes the journal behind its window, and a kill between uncommitting the old segments and
     * deleting their data loses nothing: the next run finishes the deletion, every revision from the
     * window's base snapshot on stays restorable, and the catalogue's coverage starts at that snapshot.
     */
    @Test
    void retentionPrunesBehindTheWindowAndAKillMidPruneLosesNothing(Backplane backplane) throws Exception {
        OneMember one = OneMember.start(backplane, dir, "jprune");
        String id = one.id();
        EtcdCluster source = one.etcd();
        Path fleet = one.fleet();
        ClusterSpec cluster = one.cluster();
        SnapshotStores stores = new SnapshotStores(new S3Clients());
        JournalStore journal = new JournalStore(stores, new EncryptionKeys(new KubernetesClients("")));
        SnapshotCatalog catalog = new SnapshotCatalog(stores);
        Path logs = Path.of("target", "journal-prune-" + id);
        List<String> journalOn = List.of(
                "-Dguardian.journal.enabled=true",
                "-Dguardian.journal.segment-interval=300ms",
                "-Dguardian.journal.catalog-interval=1s",
                "-Dguardian.operation.lease-ttl=5s");
        List<String> pruning = new java.util.ArrayList<>(journalOn);
        pruning.addAll(List.of(
                "-Dguardian.journal.retention=1s",
                "-Dguardian.snapshot.retention-interval=1s",
                "-Dguardian.snapshot.retention-initial-delay=1s"));
        ChildProcess service = null;
        try (Client client =
                        Client.builder().endpoints(source.endpoints().get(0)).build();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers())) {
            Writes writes = new Writes(client);
            writes.put(20);
            // a journal kept as long as the default window: two drilled snapshots with segments after each
            service = ForkedSnapshotService.start(
                    "journal-prune-1", logs, dir, backplane, fleet, "jprune-" + id, dir.resolve("spool"), journalOn);
            SnapshotCompleted first = (SnapshotCompleted) SnapshotRequests.outcome(stream, id);
            long before = writes.put(40);
            await().atMost(Duration.ofSeconds(60)).until(() -> committedTo(journal, cluster) >= before);
            SnapshotCompleted second = (SnapshotCompleted) SnapshotRequests.outcome(stream, id);
            long last = writes.put(40);
            await().atMost(Duration.ofSeconds(60)).until(() -> committedTo(journal, cluster) >= last);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> catalog.list(cluster).stream()
                                    .filter(s -> s.drillPassed())
                                    .count()
                            == 2);
            service.kill();
            long base = second.revision();
            List<JournalKeys.Range> all = journal.segments(cluster, JournalEpoch.FIRST);
            assertThat(all).as("segments before the second snapshot").anyMatch(r -> r.to() <= base);
            PointInTimePlan.of(JournalEpoch.FIRST, catalog.list(cluster), all, base - 1); // restorable so far

            // the window shrunk to a second: the second snapshot starts it; killed once the old segments are
            // uncommitted
            List<String> armed = new java.util.ArrayList<>(pruning);
            armed.add("-Dguardian.failpoints=journal.prune.uncommitted");
            service = ForkedSnapshotService.start(
                    "journal-prune-2", logs, dir, backplane, fleet, "jprune-" + id, dir.resolve("spool"), armed);
            ChildProcess killed = service;
            await().atMost(Duration.ofSeconds(60)).until(() -> !killed.isAlive());
            assertThat(journal.segments(cluster, JournalEpoch.FIRST))
                    .as("uncommitted: no manifest at or before the window's base")
                    .allMatch(r -> r.to() > base)
                    .containsAll(all.stream().filter(r -> r.to() > base).toList());
            assertThat(dataRanges(stores, cluster))
                    .as("the kill left the old segments' data")
                    .anyMatch(r -> r.to() <= base);
            List<JournalKeys.Range> left = journal.segments(cluster, JournalEpoch.FIRST);
            assertThatThrownBy(() -> PointInTimePlan.of(JournalEpoch.FIRST, catalog.list(cluster), left, base - 1))
                    .as("before the window: pruned, refused")
                    .isInstanceOf(GuardianException.class);
            assertThat(PointInTimePlan.of(JournalEpoch.FIRST, catalog.list(cluster), left, last)
                            .base()
                            .snapshotId())
                    .isEqualTo(second.snapshotId());

            // the next run finishes the deletion
            service = ForkedSnapshotService.start(
                    "journal-prune-3", logs, dir, backplane, fleet, "jprune-" + id, dir.resolve("spool"), pruning);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> dataRanges(stores, cluster).stream().allMatch(r -> r.to() > base));
            assertThat(catalog.list(cluster))
                    .as("the snapshots themselves stay")
                    .extracting(s -> s.snapshotId())
                    .contains(first.snapshotId(), second.snapshotId());

            // a newer snapshot moves the window's base while the writer runs: pruned under it, coverage follows
            long more = writes.put(20);
            await().atMost(Duration.ofSeconds(60)).until(() -> committedTo(journal, cluster) >= more);
            SnapshotCompleted third = (SnapshotCompleted) SnapshotRequests.outcome(stream, id);
            long end = writes.put(20);
            await().atMost(Duration.ofSeconds(60)).until(() -> committedTo(journal, cluster) >= end);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> coverage(backplane, id)
                            .map(c -> c.fromRevision() == third.revision() && c.toRevision() >= end)
                            .orElse(false));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> dataRanges(stores, cluster).stream().allMatch(r -> r.to() > third.revision()));
            List<JournalKeys.Range> now = journal.segments(cluster, JournalEpoch.FIRST);
            assertContiguous(now);
            assertThat(now).allMatch(r -> r.to() > third.revision());
            assertThat(dataRanges(stores, cluster)).containsExactlyElementsOf(now);
            PointInTimePlan plan = PointInTimePlan.of(JournalEpoch.FIRST, catalog.list(cluster), now, end);
            assertThat(plan.base().snapshotId()).isEqualTo(third.snapshotId());

            // the point in time a drilled snapshot holds itself is answered by it, not made again
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> catalog.require(cluster, third.snapshotId()).drillPassed());
            assertThat(SnapshotRequests.outcome(
                            stream,
                            io.etcdguardian.common.event.BackupRequested.pointInTime(
                                    id, third.revision(), null, "test", "test")))
                    .isInstanceOfSatisfying(
                            SnapshotCompleted.class,
                            c -> assertThat(c.snapshotId()).isEqualTo(third.snapshotId()));
        } finally {
            if (service != null) {
                service.kill();
            }
            source.stop();
        }
    }

    /**
     * A prefix restore writes into the live cluster, so it is killed where it writes: SIGKILLed after its
     * first key, then run again by a new service — which ends the interrupted operation, compares afresh and
     * writes the rest. A key someone writes between the comparison and the apply is skipped and reported,
     * never overwritten.
     */
    @Test
    void aPrefixRestoreKilledMidApplyIsRunAgainAndAKeyWrittenMeanwhileIsSkipped(Backplane backplane) throws Exception {
        OneMember one = OneMember.start(backplane, dir, "jpfx");
        String id = one.id();
        EtcdCluster source = one.etcd();
        Path fleet = one.fleet();
        ClusterSpec cluster = one.cluster();
        JournalStore journal =
                new JournalStore(new SnapshotStores(new S3Clients()), new EncryptionKeys(new KubernetesClients("")));
        Path tokens = dir.resolve("tokens");
        String token = CallerTokens.writeFile(tokens, java.util.Map.of("test", Roles.ALL))
                .get("test");
        Path failpoints = dir.resolve("failpoints");
        Path logs = Path.of("target", "journal-prefix-" + id);
        List<String> settings = List.of(
                "-Dguardian.journal.enabled=true",
                "-Dguardian.journal.segment-interval=300ms",
                "-Dguardian.operation.lease-ttl=5s",
                "-Dguardian.snapshot.drill.enabled=false",
                "-Dguardian.snapshot.drill-after-capture-max-bytes=0",
                "-Dguardian.security.tokens-file=" + tokens,
                "-Dguardian.failpoints.dir=" + failpoints);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        ChildProcess service = null;
        try (Client client =
                        Client.builder().endpoints(source.endpoints().get(0)).build();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers())) {
            java.util.Map<String, String> then = new java.util.TreeMap<>();
            for (int i = 0; i < 20; i++) {
                then.put(String.format("/registry/ns/k%02d", i), "v" + i);
            }
            put(client, then);
            // a snapshot of the first 20; the last 10 only in the journal
            int firstPort = FreePorts.next();
            service = ForkedSnapshotService.start(
                    "journal-prefix-1",
                    logs,
                    dir,
                    backplane,
                    fleet,
                    "jpfx-" + id,
                    dir.resolve("spool"),
                    armed(settings, "prefix.applied-key"),
                    firstPort);
            assertThat(SnapshotRequests.outcome(stream, id)).isInstanceOf(SnapshotCompleted.class);
            java.util.Map<String, String> late = new java.util.TreeMap<>();
            for (int i = 20; i < 30; i++) {
                late.put(String.format("/registry/ns/k%02d", i), "v" + i);
            }
            put(client, late);
            then.putAll(late);
            URI firstUri = URI.create("http://127.0.0.1:" + firstPort + "/snapshots/" + id + "/prefix-restore");
            long before = client.getKVClient()
                    .get(bytes("/registry/ns/k29"))
                    .get(10, TimeUnit.SECONDS)
                    .getHeader()
                    .getRevision();
            await().atMost(Duration.ofSeconds(60)).until(() -> committedTo(journal, cluster) >= before);
            client.getKVClient()
                    .delete(
                            bytes("/registry/ns/"),
                            DeleteOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS);
            String body = "{\"prefix\": \"/registry/ns/\", \"toRevision\": " + before + "}";

            // killed right after its first write
            assertThatThrownBy(() -> post(http, firstUri, token, body))
                    .as("the service dies mid-apply")
                    .isInstanceOf(java.io.IOException.class);
            ChildProcess killed = service;
            await().atMost(Duration.ofSeconds(30)).until(() -> !killed.isAlive());
            assertThat(prefix(client))
                    .as("one key written before the kill")
                    .containsExactly(java.util.Map.entry("/registry/ns/k00", "v0"));

            // run again, paused between comparison and apply while someone writes one of the keys to create
            int port = FreePorts.next();
            service = ForkedSnapshotService.start(
                    "journal-prefix-2",
                    logs,
                    dir,
                    backplane,
                    fleet,
                    "jpfx-" + id,
                    dir.resolve("spool"),
                    armed(settings, "prefix.compared=pause"),
                    port);
            URI second = URI.create("http://127.0.0.1:" + port + "/snapshots/" + id + "/prefix-restore");
            java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>> applied =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        // the first run's lease outlives it by up to its TTL: refused (409) until then
                        try {
                            while (true) {
                                java.net.http.HttpResponse<String> r = post(http, second, token, body);
                                if (r.statusCode() != 409) {
                                    return r;
                                }
                                Thread.sleep(500); // the lease's expiry cannot be awaited from here
                            }
                        } catch (Exception e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    });
            Path paused = failpoints.resolve("prefix.compared.paused");
            await().atMost(Duration.ofSeconds(90)).until(() -> Files.exists(paused));
            client.getKVClient().put(bytes("/registry/ns/k05"), bytes("mine")).get(10, TimeUnit.SECONDS);
            Files.delete(paused);
            java.net.http.HttpResponse<String> response = applied.get(90, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            com.fasterxml.jackson.databind.JsonNode result = EventJson.MAPPER.readTree(response.body());
            assertThat(result.path("skipped").toString()).isEqualTo("[\"CREATE /registry/ns/k05\"]");
            assertThat(result.path("applied").size())
                    .as("the other 28: k00 was written by the killed run")
                    .isEqualTo(28);
            assertThat(response.body()).as("no value leaves the service").doesNotContain("\"v1\"", "mine");
            java.util.Map<String, String> expected = new java.util.TreeMap<>(then);
            expected.put("/registry/ns/k05", "mine");
            assertThat(prefix(client)).isEqualTo(expected);
            assertThat(operations(backplane, id))
                    .as("the killed run's operation ended, naming the run that took over")
                    .anySatisfy(o -> {
                        assertThat(o.status()).isEqualTo(OperationRecord.Status.FAILED);
                        assertThat(o.detail()).contains("took over");
                    })
                    .allSatisfy(o -> assertThat(o.status()).isNotEqualTo(OperationRecord.Status.RUNNING));
        } finally {
            if (service != null) {
                service.kill();
            }
            source.stop();
        }
    }

    /** A 1-member etcd and a fleet naming it, its snapshots under its own prefix of the backplane's bucket. */
    private record OneMember(String id, EtcdCluster etcd, Path fleet, ClusterSpec cluster) {
        static OneMember start(Backplane backplane, Path dir, String name) throws Exception {
            String id = name + "-" + UUID.randomUUID().toString().substring(0, 6);
            EtcdCluster etcd = EtcdCluster.plan(dir.resolve("source"), 1, 0).start();
            String fleetYaml = """
                    clusters:
                      - id: %s
                        etcd: { endpoints: [%s] }
                        store: { bucket: %s, endpoint: %s, credentialsFile: %s, prefix: %s/ }
                    """.formatted(
                            id,
                            etcd.endpoints().get(0),
                            backplane.bucket(),
                            backplane.s3().endpoint(),
                            SnapshotRequests.credentials(backplane, dir),
                            id);
            Path fleet = Files.writeString(dir.resolve("fleet.yaml"), fleetYaml);
            return new OneMember(
                    id,
                    etcd,
                    fleet,
                    FleetParser.parseDocument(fleetYaml).clusters().get(id));
        }
    }

    private static List<String> armed(List<String> settings, String failpoint) {
        List<String> all = new java.util.ArrayList<>(settings);
        all.add("-Dguardian.failpoints=" + failpoint);
        return all;
    }

    private static java.net.http.HttpResponse<String> post(
            java.net.http.HttpClient http, URI uri, String token, String body) throws Exception {
        return http.send(
                java.net.http.HttpRequest.newBuilder(uri)
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(120))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static java.util.Map<String, String> prefix(Client client) throws Exception {
        java.util.Map<String, String> kvs = new java.util.TreeMap<>();
        client.getKVClient()
                .get(bytes("/registry/ns/"), GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS)
                .getKvs()
                .forEach(kv -> kvs.put(
                        kv.getKey().toString(StandardCharsets.UTF_8),
                        kv.getValue().toString(StandardCharsets.UTF_8)));
        return kvs;
    }

    private static void put(Client client, java.util.Map<String, String> kvs) throws Exception {
        for (java.util.Map.Entry<String, String> kv : kvs.entrySet()) {
            client.getKVClient().put(bytes(kv.getKey()), bytes(kv.getValue())).get(10, TimeUnit.SECONDS);
        }
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    /** The cluster's RESTORE operations as the operations journal (a compacted topic) holds them last. */
    private static List<OperationRecord> operations(Backplane backplane, String clusterId) {
        return compacted(backplane, Topics.OPERATIONS).values().stream()
                .map(json -> {
                    try {
                        return EventJson.MAPPER.readValue(json, OperationRecord.class);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })
                .filter(o -> o.clusterId().equals(clusterId) && o.kind() == OperationKind.RESTORE)
                .toList();
    }

    private static List<JournalKeys.Range> dataRanges(SnapshotStores stores, ClusterSpec cluster) {
        return stores.of(cluster).list(JournalKeys.dataPrefix(cluster, JournalEpoch.FIRST)).stream()
                .map(e -> JournalKeys.rangeOfData(e.key()))
                .flatMap(java.util.Optional::stream)
                .sorted()
                .toList();
    }

    /** The cluster's journal line of the fleet catalogue, as the compacted topic holds it last. */
    private static java.util.Optional<JournalCoverage> coverage(Backplane backplane, String clusterId) {
        return java.util.Optional.ofNullable(
                        compacted(backplane, Topics.CATALOG).get(clusterId + "/journal"))
                .map(json -> {
                    try {
                        return EventJson.MAPPER.readValue(json, JournalCoverage.class);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
    }

    /** A compacted topic's last value per key, read from the beginning to its end now. */
    private static java.util.Map<String, byte[]> compacted(Backplane backplane, String topic) {
        java.util.Map<String, Object> config = java.util.Map.of(
                "bootstrap.servers", backplane.kafka().bootstrapServers(),
                "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            java.util.Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            java.util.Map<String, byte[]> last = new java.util.HashMap<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        last.remove(r.key());
                    } else {
                        last.put(r.key(), r.value());
                    }
                }
            }
            return last;
        }
    }

    private static void assertContiguous(List<JournalKeys.Range> segments) {
        for (int i = 1; i < segments.size(); i++) {
            assertThat(segments.get(i).from())
                    .as("segment %s follows %s", segments.get(i), segments.get(i - 1))
                    .isEqualTo(segments.get(i - 1).to() + 1);
        }
    }

    private static long committedTo(JournalStore journal, ClusterSpec cluster) {
        try {
            return journal.segments(cluster, JournalEpoch.FIRST).stream()
                    .mapToLong(JournalKeys.Range::to)
                    .max()
                    .orElse(0);
        } catch (RuntimeException storeDown) {
            return 0;
        }
    }

    /** Puts of small values; each returns the revision it made. */
    private record Writes(Client client) {
        long put(int count) throws Exception {
            long revision = 0;
            for (int i = 0; i < count; i++) {
                revision = client.getKVClient()
                        .put(
                                ByteSequence.from("/registry/k-" + (revision % 97), StandardCharsets.UTF_8),
                                ByteSequence.from(UUID.randomUUID().toString(), StandardCharsets.UTF_8))
                        .get(30, TimeUnit.SECONDS)
                        .getHeader()
                        .getRevision();
            }
            return revision;
        }
    }
}
