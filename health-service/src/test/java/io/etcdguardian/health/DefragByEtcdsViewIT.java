package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.cloudevents.CloudEvent;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defragmentation by etcd's own view of the cluster: its member list decides quorum headroom and
 * order (not the fleet file), and a client-side timeout does not end a member's defragmentation —
 * the next member waits until etcd shows the previous one is done. Measured from etcd's side (each
 * member's log of its defragmentations), with a writer held against every member.
 */
@ExtendWith(BackplaneExtension.class)
class DefragByEtcdsViewIT {
    private static final Pattern TIMESTAMP = Pattern.compile("\"ts\":\"([^\"]+)\"");

    @TempDir
    Path dir;

    @Test
    void membersAndALeaderOutsideTheFleetAreCountedAndTheLeaderIsLast(Backplane backplane) throws Exception {
        String cluster = "memberlist-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        HealthServiceUnderTest.createTopics(backplane);
        try (Client client = Client.builder()
                        .endpoints(etcd.endpoints().toArray(String[]::new))
                        .build();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS)) {
            String leader = leaderOf(client, etcd);
            List<String> followers =
                    etcd.endpoints().stream().filter(e -> !e.equals(leader)).toList();
            // the fleet names one follower only: the other follower and the leader are etcd's to tell
            EtcdCluster listed = new EtcdCluster(
                    etcd.dir(),
                    etcd.token(),
                    etcd.quotaBackendBytes(),
                    etcd.tls(),
                    etcd.members().stream()
                            .filter(m -> m.clientUrl().equals(followers.get(0)))
                            .toList(),
                    etcd.binDir(),
                    etcd.extraFlags());
            try (ApplicationContext service = HealthServiceUnderTest.start(
                    backplane,
                    dir,
                    cluster,
                    listed,
                    "",
                    Map.of("guardian.health.poll-interval", "1h", "guardian.health.settle", "100ms"))) {
                int stopped = etcd.endpoints().indexOf(followers.get(1));
                etcd.stopMember(stopped); // a member the fleet does not list is down: no quorum headroom
                CloudEvent refused = stream.publish("/test", request(cluster));
                List<MaintenanceProgress> first = progressUntilEnd(health, cluster, refused.getId());
                assertThat(first.get(first.size() - 1).status()).isEqualTo(ProgressStatus.FAILED);
                assertThat(first.get(first.size() - 1).detail()).contains("no defragmentation without quorum headroom");
                assertThat(first).extracting(MaintenanceProgress::step).doesNotContain("defrag", "compact");
                etcd.startMember(stopped);
                etcd.awaitHealthy(stopped);

                CloudEvent request = stream.publish("/test", request(cluster));
                List<MaintenanceProgress> progress = progressUntilEnd(health, cluster, request.getId());
                assertThat(progress.get(progress.size() - 1).status())
                        .as(progress.toString())
                        .isEqualTo(ProgressStatus.COMPLETED);
                List<String> order = progress.stream()
                        .filter(p -> p.step().equals("defrag") && p.status() == ProgressStatus.DONE)
                        .map(MaintenanceProgress::member)
                        .toList();
                assertThat(order).containsExactlyInAnyOrderElementsOf(etcd.endpoints());
                assertThat(order.get(2)).as("the former leader last").isEqualTo(leader);
                assertThat(progress)
                        .anyMatch(p -> p.step().equals("move-leader")
                                && p.status() == ProgressStatus.DONE
                                && leader.equals(p.member()));
            }
        } finally {
            etcd.stop();
        }
    }

    @Test
    void aTimedOutDefragKeepsTheNextMemberWaitingNeverTwoMembersBusy(Backplane backplane) throws Exception {
        String cluster = "timeout-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        HealthServiceUnderTest.createTopics(backplane);
        AtomicBoolean writing = new AtomicBoolean(true);
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        ExecutorService writerThreads =
                Executors.newFixedThreadPool(etcd.endpoints().size());
        try (Client client = Client.builder()
                        .endpoints(etcd.endpoints().toArray(String[]::new))
                        .build();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS)) {
            fillAndFragment(client);
            for (String endpoint : etcd.endpoints()) {
                writers.add(CompletableFuture.runAsync(() -> write(endpoint, writing), writerThreads));
            }
            // a client deadline far below what the defragmentation takes: every member times out client-side
            try (ApplicationContext service = HealthServiceUnderTest.start(
                    backplane,
                    dir,
                    cluster,
                    etcd,
                    "",
                    Map.of(
                            "guardian.health.poll-interval",
                            "1h",
                            "guardian.health.settle",
                            "100ms",
                            "guardian.health.defrag-compacts",
                            "true", // the deleted third goes: each member shrinks
                            "guardian.health.member-timeout-base",
                            "1ms",
                            "guardian.health.member-timeout-bytes-per-second",
                            "1000000000000"))) {
                CloudEvent request = stream.publish("/test", request(cluster));
                List<MaintenanceProgress> progress = progressUntilEnd(health, cluster, request.getId());
                assertThat(progress.get(progress.size() - 1).status())
                        .as(progress.toString())
                        .isEqualTo(ProgressStatus.COMPLETED);
                assertThat(progress)
                        .filteredOn(p -> p.step().equals("defrag") && p.status() == ProgressStatus.WAITING)
                        .as("client-side timeouts happened")
                        .isNotEmpty();
                assertThat(progress)
                        .filteredOn(p -> p.step().equals("defrag") && p.status() == ProgressStatus.DONE)
                        .hasSize(3)
                        .allSatisfy(p -> assertThat(p.dbSizeAfter()).isLessThan(p.dbSizeBefore()));
            }
            writing.set(false);
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            // etcd's own account: each member logs when its backend is locked for defragmentation and when
            // it is released; client-side latency (a loaded machine's slow read) says nothing about that
            List<String> endpoints = etcd.endpoints();
            List<List<Instant[]>> busy = new ArrayList<>();
            for (int i = 0; i < endpoints.size(); i++) {
                busy.add(defragmentations(etcd.process(i).logFile()));
                assertThat(busy.get(i))
                        .as("%s defragmented by the request (its log says so)", endpoints.get(i))
                        .isNotEmpty();
            }
            for (int a = 0; a < endpoints.size(); a++) {
                for (int b = a + 1; b < endpoints.size(); b++) {
                    for (Instant[] x : busy.get(a)) {
                        for (Instant[] y : busy.get(b)) {
                            assertThat(x[0].isBefore(y[1]) && y[0].isBefore(x[1]))
                                    .as(
                                            "%s defragmenting %s..%s while %s was %s..%s",
                                            endpoints.get(a), x[0], x[1], endpoints.get(b), y[0], y[1])
                                    .isFalse();
                        }
                    }
                }
            }
        } finally {
            writing.set(false);
            writerThreads.shutdown();
            etcd.stop();
        }
    }

    /**
     * A member's defragmentations as etcd logged them: from "defragmenting" (the backend is locked, no
     * read or write is served) to "finished defragment" (the RPC returns, after the locks are released).
     * The same lines in 3.4, 3.5 and 3.6.
     */
    private static List<Instant[]> defragmentations(Path log) throws java.io.IOException {
        List<Instant[]> intervals = new ArrayList<>();
        Instant from = null;
        for (String line : Files.readAllLines(log)) {
            if (line.contains("\"msg\":\"defragmenting\"")) {
                from = timestamp(line);
            } else if (line.contains("\"msg\":\"finished defragment\"") && from != null) {
                intervals.add(new Instant[] {from, timestamp(line)});
                from = null;
            }
        }
        assertThat(from).as("a defragmentation that never finished in %s", log).isNull();
        return intervals;
    }

    private static Instant timestamp(String logLine) {
        Matcher ts = TIMESTAMP.matcher(logLine);
        assertThat(ts.find()).as("a timestamp in %s", logLine).isTrue();
        // zap's ISO 8601 writes the offset as Z or +hhmm
        String text = ts.group(1).replaceFirst("([+-]\\d\\d)(\\d\\d)$", "$1:$2");
        return OffsetDateTime.parse(text).toInstant();
    }

    /** ~100 MB of values, a third deleted and compacted away: a defragmentation that takes etcd a while. */
    private static void fillAndFragment(Client client) throws Exception {
        byte[] value = new byte[100_000];
        new java.util.Random(7).nextBytes(value);
        List<CompletableFuture<?>> puts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            puts.add(client.getKVClient().put(bytes("/fill/" + i), ByteSequence.from(value)));
            if (puts.size() == 16) {
                CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                puts.clear();
            }
        }
        CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        for (int i = 0; i < 1000; i += 3) {
            client.getKVClient().delete(bytes("/fill/" + i)).get(10, TimeUnit.SECONDS);
        }
    }

    /** Holds a writer against one member: the defragmentations run under load, as in production. */
    private static void write(String endpoint, AtomicBoolean writing) {
        try (Client member = Client.builder().endpoints(endpoint).build()) {
            ByteSequence key = bytes("/writer/" + endpoint.hashCode());
            int i = 0;
            while (writing.get()) {
                try {
                    member.getKVClient().put(key, bytes("v" + i++)).get(5, TimeUnit.SECONDS);
                } catch (Exception slowWrite) {
                    // a write held behind a defragmentation: load, not the measure
                }
            }
        }
    }

    private static String leaderOf(Client client, EtcdCluster etcd) throws Exception {
        for (String endpoint : etcd.endpoints()) {
            StatusResponse status =
                    client.getMaintenanceClient().statusMember(endpoint).get(10, TimeUnit.SECONDS);
            if (status.getLeader() == status.getHeader().getMemberId()) {
                return endpoint;
            }
        }
        throw new AssertionError("no leader");
    }

    private static MaintenanceRequested request(String cluster) {
        return new MaintenanceRequested(cluster, MaintenanceRequested.Action.DEFRAG, "test", "test", Instant.now());
    }

    private static List<MaintenanceProgress> progressUntilEnd(EventStream.Follower health, String cluster, String id) {
        List<GuardianEvent> seen = health.until(
                e -> e instanceof MaintenanceProgress p
                        && p.operationId().equals(id)
                        && p.step().equals("maintenance"),
                Duration.ofSeconds(180));
        assertThat(seen).as("the operation ended").isNotEmpty();
        return seen.stream()
                .filter(e -> e instanceof MaintenanceProgress p
                        && p.clusterId().equals(cluster)
                        && p.operationId().equals(id))
                .map(MaintenanceProgress.class::cast)
                .toList();
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
