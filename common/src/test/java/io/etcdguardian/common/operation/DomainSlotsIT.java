package io.etcdguardian.common.operation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.StoreSpec;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.store.SnapshotStores;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage-domain limits on the real object store (S3Proxy's conditional writes), between two
 * replicas: at most N operations of a kind at once in a domain, the next one waiting for a slot and
 * told who holds them, a slot of a replica that died freed by its expiry, and clusters without a
 * domain never held back.
 */
@ExtendWith(BackplaneExtension.class)
class DomainSlotsIT {
    @TempDir
    Path dir;

    private final String domain = "array-" + UUID.randomUUID().toString().substring(0, 6);
    private DomainSlots replicaA;
    private DomainSlots replicaB;
    private StoreSpec store;
    private SnapshotStores stores;

    @BeforeEach
    void setUp(Backplane backplane) {
        stores = new SnapshotStores(new S3Clients());
        store = new StoreSpec(
                backplane.bucket(),
                "domains-test",
                null,
                backplane.s3().endpoint(),
                backplane.s3().writeCredentials(dir.resolve("s3.properties")).toString(),
                null,
                null,
                null,
                null);
        replicaA = new DomainSlots(stores, Duration.ofSeconds(30), Clock.systemUTC(), "replica-a");
        replicaB = new DomainSlots(stores, Duration.ofSeconds(30), Clock.systemUTC(), "replica-b");
    }

    private java.time.Instant slotExpiry() throws java.io.IOException {
        byte[] json = stores.of(store)
                .read("domains-test/_domains/" + domain + "/" + OperationKind.DEFRAG.key() + "/0.json")
                .orElseThrow();
        return io.etcdguardian.common.event.EventJson.MAPPER
                .readValue(json, DomainSlots.Slot.class)
                .expiresAt();
    }

    private ClusterSpec cluster(String id, String storageDomain) {
        return new ClusterSpec(id, null, store, null, null, null, null, null, null, storageDomain);
    }

    @Test
    void oneDefragAtATimeInADomainTheNextWaitsForIt() {
        List<String> told = new CopyOnWriteArrayList<>();
        DomainSlots.Held first =
                replicaA.take(cluster("a", domain), OperationKind.DEFRAG, "op-a", 1, Duration.ZERO, told::add);
        assertThatThrownBy(() ->
                        replicaB.take(cluster("b", domain), OperationKind.DEFRAG, "op-b", 1, Duration.ZERO, told::add))
                .isInstanceOf(GuardianException.class)
                .satisfies(e -> assertThat(((GuardianException) e).reason()).isEqualTo(Reason.BUSY))
                .hasMessageContaining("storage domain " + domain)
                .hasMessageContaining("a op-a");
        // another kind and another domain are not held back
        replicaB.take(cluster("b", domain), OperationKind.RESTORE, "op-r", 1, Duration.ZERO, told::add)
                .close();
        replicaB.take(cluster("c", domain + "-other"), OperationKind.DEFRAG, "op-c", 1, Duration.ZERO, told::add)
                .close();

        CompletableFuture<DomainSlots.Held> waiting = CompletableFuture.supplyAsync(() -> replicaB.take(
                cluster("b", domain), OperationKind.DEFRAG, "op-b", 1, Duration.ofSeconds(60), told::add));
        await().atMost(Duration.ofSeconds(10)).until(() -> !told.isEmpty());
        assertThat(told).singleElement().asString().contains("a op-a").contains("waiting up to");
        assertThat(waiting).isNotDone();
        first.close();
        DomainSlots.Held second =
                waiting.orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join();
        assertThatThrownBy(() ->
                        replicaA.take(cluster("a", domain), OperationKind.DEFRAG, "op-a2", 1, Duration.ZERO, s -> {}))
                .hasMessageContaining("b op-b");
        second.close();
    }

    @Test
    void aLimitOfTwoAdmitsTwo() {
        DomainSlots.Held a =
                replicaA.take(cluster("a", domain), OperationKind.DEFRAG, "op-a", 2, Duration.ZERO, s -> {});
        DomainSlots.Held b =
                replicaB.take(cluster("b", domain), OperationKind.DEFRAG, "op-b", 2, Duration.ZERO, s -> {});
        assertThatThrownBy(() ->
                        replicaB.take(cluster("c", domain), OperationKind.DEFRAG, "op-c", 2, Duration.ZERO, s -> {}))
                .hasMessageContaining("a op-a")
                .hasMessageContaining("b op-b");
        a.close();
        replicaB.take(cluster("c", domain), OperationKind.DEFRAG, "op-c", 2, Duration.ZERO, s -> {})
                .close();
        b.close();
    }

    @Test
    void aSlotOfAReplicaThatDiedExpires() {
        DomainSlots dying = new DomainSlots(stores, Duration.ofSeconds(3), Clock.systemUTC(), "replica-dying");
        dying.take(cluster("a", domain), OperationKind.DEFRAG, "op-a", 1, Duration.ZERO, s -> {});
        dying.stop(); // no renewal, no release: as if killed
        List<String> told = new CopyOnWriteArrayList<>();
        DomainSlots.Held taken =
                replicaB.take(cluster("b", domain), OperationKind.DEFRAG, "op-b", 1, Duration.ofSeconds(30), told::add);
        assertThat(told).singleElement().asString().contains("a op-a");
        taken.close();
    }

    @Test
    void aRenewedSlotOutlivesItsTtlAndAClusterWithoutADomainNeedsNone() {
        DomainSlots shortTtl = new DomainSlots(stores, Duration.ofSeconds(3), Clock.systemUTC(), "replica-renewing");
        try (DomainSlots.Held held =
                shortTtl.take(cluster("a", domain), OperationKind.DEFRAG, "op-a", 1, Duration.ZERO, s -> {})) {
            // past three TTLs, renewed meanwhile: still held
            await().pollDelay(Duration.ofSeconds(9))
                    .atMost(Duration.ofSeconds(12))
                    .until(() -> true);
            assertThatThrownBy(() -> replicaB.take(
                            cluster("b", domain), OperationKind.DEFRAG, "op-b", 1, Duration.ZERO, s -> {}))
                    .hasMessageContaining("a op-a");
            replicaB.take(cluster("x", null), OperationKind.DEFRAG, "op-x", 1, Duration.ZERO, s -> {})
                    .close();
        } finally {
            shortTtl.stop();
        }
    }
}
