package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.catalog.CatalogEntry;
import io.etcdguardian.common.catalog.ClusterCatalog;
import io.etcdguardian.common.catalog.FleetCatalog;
import io.etcdguardian.common.catalog.OperationSummary;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.journal.JournalEpoch;
import io.etcdguardian.common.journal.JournalEvent;
import io.etcdguardian.common.journal.JournalRevision;
import io.etcdguardian.common.journal.JournalStore;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.security.CallerTokens;
import io.etcdguardian.common.security.Roles;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.snapshot.catalog.CatalogUpdates;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet catalogue on real Kafka, etcd and S3Proxy: every commit, drill and retention deletion
 * keeps each cluster's line equal to its manifests in the store; scheduled drills (drill after
 * capture off) reach every cluster's newest snapshot; and the catalogue rebuilt from the store and
 * the journal, after its records were tombstoned, equals the live one — a line of a cluster that
 * left the fleet forgotten.
 */
@ExtendWith(BackplaneExtension.class)
class FleetCatalogIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String RETAINED = "cat-a-" + RUN;
    private static final String ONCE = "cat-b-" + RUN;
    private static final String NEVER = "cat-c-" + RUN;
    private static final String GONE = "cat-gone-" + RUN;

    @TempDir
    Path dir;

    @Test
    void catalogueFollowsTheManifestsAndIsRebuiltEqual(Backplane backplane) throws Exception {
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                defaults:
                  store: { bucket: %s, endpoint: %s, credentialsFile: %s, prefix: catalog/ }
                  etcd: { endpoints: [%s] }
                clusters:
                  - id: %s
                    retention: { keepLast: 2 }
                  - id: %s
                  - id: %s
                """.formatted(
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        SnapshotRequests.credentials(backplane, dir),
                        String.join(", ", backplane.etcd().endpoints()),
                        RETAINED,
                        ONCE,
                        NEVER));
        Map<String, Object> props = new HashMap<>();
        props.put("micronaut.server.port", -1);
        props.put("kafka.bootstrap.servers", backplane.kafka().bootstrapServers());
        props.put("guardian.fleet.file", fleet.toString());
        props.put("guardian.snapshot.group", "catalog-" + RUN);
        props.put("guardian.snapshot.spool-dir", dir.resolve("spool").toString());
        // drills come from the scheduler only: it must find every newest snapshot through the catalogue
        props.put("guardian.snapshot.drill-after-capture-max-bytes", 0);
        props.put("guardian.snapshot.drill-interval", "1s");
        props.put("guardian.snapshot.drill-initial-delay", "1s");
        props.put("guardian.snapshot.slo-refresh-interval", "1s");
        props.put("guardian.snapshot.slo-refresh-initial-delay", "1s");
        Path tokens = dir.resolve("tokens");
        String token = CallerTokens.writeFile(tokens, Map.of("test", Roles.ALL)).get("test");
        props.put("guardian.security.tokens-file", tokens.toString());
        try (ApplicationContext context =
                        ApplicationContext.run(EmbeddedServer.class, props).getApplicationContext();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                HttpClient http =
                        HttpClient.create(context.getBean(EmbeddedServer.class).getURL())) {
            for (int i = 0; i < 4; i++) { // keepLast 2 and the newest restorable: one at least goes
                assertThat(SnapshotRequests.outcome(stream, RETAINED)).isInstanceOf(SnapshotCompleted.class);
            }
            SnapshotCompleted once = (SnapshotCompleted) SnapshotRequests.outcome(stream, ONCE);

            // the outcome is published after the catalogue is written: no wait for the newest
            assertThat(line(http, token, ONCE).snapshots().newest().snapshotId())
                    .isEqualTo(once.snapshotId());
            SnapshotCatalog manifests = context.getBean(SnapshotCatalog.class);
            FleetRegistry registry = context.getBean(FleetRegistry.class);
            // drills (scheduled) and retention change the manifests; the lines follow them
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
                for (String cluster : List.of(RETAINED, ONCE)) {
                    ClusterCatalog line = line(http, token, cluster);
                    assertThat(line.snapshots())
                            .as(cluster + "'s line, from its manifests")
                            .isEqualTo(CatalogEntry.of(cluster, manifests.list(registry.require(cluster))));
                    assertThat(line.snapshots().newestRestorable())
                            .as(cluster + ": newest drilled by the scheduler")
                            .isEqualTo(line.snapshots().newest());
                    assertThat(line.running()).isEmpty();
                }
            });
            assertThat(line(http, token, RETAINED).operations())
                    .extracting(OperationSummary::kind)
                    .contains("SNAPSHOT", "DRILL", "RETENTION");
            assertThat(line(http, token, NEVER).snapshots()).isNull();
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(meters.get("guardian.snapshot.drill.lag.seconds")
                                    .tag("cluster", ONCE)
                                    .gauge()
                                    .value())
                            .isZero());

            List<ClusterCatalog> live = fleetLines(http, token);
            assertThat(live).extracting(ClusterCatalog::clusterId).containsExactlyInAnyOrder(RETAINED, ONCE, NEVER);

            // a journal after ONCE's snapshot (three revisions, as a writer commits them): its line is rebuilt too
            java.time.Instant arrived = java.time.Instant.now();
            List<JournalRevision> revisions = java.util.stream.LongStream.rangeClosed(1, 3)
                    .mapToObj(i -> new JournalRevision(
                            once.revision() + i,
                            arrived.plusMillis(i),
                            List.of(new JournalEvent(
                                    false,
                                    ("/registry/j/" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                    new byte[] {1},
                                    once.revision() + i,
                                    once.revision() + i,
                                    1,
                                    0,
                                    0))))
                    .toList();
            context.getBean(JournalStore.class).commit(registry.require(ONCE), JournalEpoch.FIRST, 1L, revisions);

            // the topic loses it all, and holds a line of a cluster no longer in the fleet
            FleetCatalog catalog = context.getBean(FleetCatalog.class);
            for (String cluster : List.of(RETAINED, ONCE, NEVER)) {
                catalog.forget(cluster);
            }
            catalog.putSnapshots(CatalogEntry.of(GONE, List.of()));
            assertThat(fleetLines(http, token))
                    .allSatisfy(l -> assertThat(l.snapshots()).isNull());

            CatalogUpdates.Rebuilt rebuilt = http.toBlocking()
                    .retrieve(HttpRequest.POST("/catalog/rebuild", "").bearerAuth(token), CatalogUpdates.Rebuilt.class);
            assertThat(rebuilt.clusters()).isEqualTo(3);
            assertThat(rebuilt.snapshots())
                    .isEqualTo(live.stream()
                            .filter(l -> l.snapshots() != null)
                            .mapToInt(l -> l.snapshots().snapshots())
                            .sum());
            assertThat(rebuilt.failed()).isEmpty();
            assertThat(rebuilt.journals()).isEqualTo(1);
            assertThat(line(http, token, ONCE).journal())
                    .as("what ONCE's journal covers, from the store")
                    .satisfies(j -> {
                        assertThat(j.fromRevision()).isEqualTo(once.revision());
                        assertThat(j.toRevision()).isEqualTo(once.revision() + 3);
                        assertThat(j.lastArrival()).isEqualTo(arrived.plusMillis(3));
                    });
            // other tests' fleets share this broker: their lines go too, being no cluster of this fleet
            assertThat(rebuilt.forgotten()).contains(GONE).doesNotContain(RETAINED, ONCE, NEVER);
            List<ClusterCatalog> rebuiltLines = fleetLines(http, token);
            assertThat(byId(rebuiltLines.stream()
                            .filter(l -> !l.clusterId().equals(NEVER))
                            .toList()))
                    .as("rebuilt from the store and the journal: equal to the live catalogue")
                    .isEqualTo(byId(live.stream()
                            .filter(l -> !l.clusterId().equals(NEVER))
                            .toList()));
            // never backed up: unknown to the live catalogue, known to hold nothing once rebuilt from the store
            assertThat(rebuiltLines.stream().filter(l -> l.clusterId().equals(NEVER)))
                    .singleElement()
                    .satisfies(l -> assertThat(l.snapshots()).isEqualTo(CatalogEntry.of(NEVER, List.of())));
            assertThat(catalog.read()).doesNotContainKey(GONE);
        }
    }

    private static ClusterCatalog line(HttpClient http, String token, String cluster) {
        return http.toBlocking()
                .retrieve(HttpRequest.GET("/catalog/" + cluster).bearerAuth(token), ClusterCatalog.class);
    }

    private static List<ClusterCatalog> fleetLines(HttpClient http, String token) {
        return Arrays.asList(
                http.toBlocking().retrieve(HttpRequest.GET("/catalog").bearerAuth(token), ClusterCatalog[].class));
    }

    /** Operations compared as a set: their order in a line is the topic's. */
    private static Map<String, Object> byId(List<ClusterCatalog> lines) {
        return lines.stream()
                .collect(Collectors.toMap(
                        ClusterCatalog::clusterId,
                        l -> List.of(
                                String.valueOf(l.snapshots()),
                                l.operations().stream()
                                        .map(String::valueOf)
                                        .sorted()
                                        .toList())));
    }
}
