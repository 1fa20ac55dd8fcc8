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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defragmentation by etcd's own view of the cluster: its member list decides quorum headroom and
 * order (not the fleet file), and a client-side timeout does not end a member's defragmentation —
 * the next member waits until etcd shows the previous one is done. Measured from etcd's side, with a
 * writer held against every member.
 */
@ExtendWith(BackplaneExtension.class)
class DefragByEtcdsViewIT {
    private static final Duration SLOW = Duration.ofMillis(150);

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
        Map<String, List<Instant[]>> unavailable = new ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicReference<Instant> defragsFrom =
                new java.util.concurrent.atomic.AtomicReference<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        try (Client client = Client.builder()
                        .endpoints(etcd.endpoints().toArray(String[]::new))
                        .build();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS)) {
            fillAndFragment(client);
            for (String endpoint : etcd.endpoints()) {
                unavailable.put(endpoint, java.util.Collections.synchronizedList(new ArrayList<>()));
                Thread writer =
                        new Thread(() -> write(endpoint, writing, unavailable.get(endpoint)), "writer-" + endpoint);
                CompletableFuture<Void> ended = new CompletableFuture<>();
                writer.setUncaughtExceptionHandler((t, e) -> ended.completeExceptionally(e));
                writers.add(ended);
                new Thread(() -> {
                            writer.start();
                            try {
                                writer.join();
                                ended.complete(null);
                            } catch (InterruptedException e) {
                                ended.completeExceptionally(e);
                            }
                        })
                        .start();
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
                // compaction is applied by every member at once (it is etcd's, through raft): measure the defrags
                defragsFrom.set(progress.stream()
                        .filter(p -> p.step().equals("compact") && p.status() == ProgressStatus.DONE)
                        .map(MaintenanceProgress::at)
                        .findFirst()
                        .orElseThrow());
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
            unavailable.values().forEach(list -> list.removeIf(interval -> interval[0].isBefore(defragsFrom.get())));
            assertThat(unavailable.values().stream().mapToInt(List::size).sum())
                    .as("the writers see a member defragmenting (the measurement works)")
                    .isPositive();
            List<String> endpoints = etcd.endpoints();
            for (int a = 0; a < endpoints.size(); a++) {
                for (int b = a + 1; b < endpoints.size(); b++) {
                    for (Instant[] x : unavailable.get(endpoints.get(a))) {
                        for (Instant[] y : unavailable.get(endpoints.get(b))) {
                            assertThat(x[0].isBefore(y[1]) && y[0].isBefore(x[1]))
                                    .as(
                                            "%s unavailable %s..%s while %s was %s..%s",
                                            endpoints.get(a), x[0], x[1], endpoints.get(b), y[0], y[1])
                                    .isFalse();
                        }
                    }
                }
            }
        } finally {
            writing.set(false);
            etcd.stop();
        }
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

    /**
     * Holds a writer against one member and, after each write, reads from that member alone
     * (serializable: served by the member's own backend, no raft round trip). A member that is
     * defragmenting holds its backend and serves no read; a read slower than {@link #SLOW} marks the
     * member unavailable then, as etcd itself behaved. (Write latency also moves with the leader and
     * quorum, so it is load here, not the measure.)
     */
    private static void write(String endpoint, AtomicBoolean writing, List<Instant[]> unavailable) {
        try (Client member = Client.builder().endpoints(endpoint).build()) {
            ByteSequence key = bytes("/writer/" + endpoint.hashCode());
            member.getKVClient().put(key, bytes("warm-up")).get(10, TimeUnit.SECONDS); // connection set up first
            // the reader has a thread of its own: a write blocked behind the defrag must not hide the read
            Thread reader = new Thread(() -> read(member, key, writing, unavailable), "reader-" + endpoint);
            reader.start();
            int i = 0;
            while (writing.get()) {
                try {
                    member.getKVClient().put(key, bytes("v" + i++)).get(5, TimeUnit.SECONDS);
                } catch (Exception slowWrite) {
                    // load only: the reader measures whether the member itself was unavailable
                }
            }
            reader.join(10_000);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void read(Client member, ByteSequence key, AtomicBoolean writing, List<Instant[]> unavailable) {
        io.etcd.jetcd.options.GetOption local =
                io.etcd.jetcd.options.GetOption.builder().withSerializable(true).build();
        while (writing.get()) {
            Instant start = Instant.now();
            try {
                member.getKVClient().get(key, local).get(5, TimeUnit.SECONDS);
            } catch (Exception failed) {
                // counted below as unavailable
            }
            Instant end = Instant.now();
            if (Duration.between(start, end).compareTo(SLOW) > 0) {
                unavailable.add(new Instant[] {start, end});
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
