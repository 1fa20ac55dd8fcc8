package io.etcdguardian.common.operation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Leases on the real object store (S3Proxy, conditional writes), as two replicas would hold them. */
@ExtendWith(BackplaneExtension.class)
class OperationLeasesIT {
    @TempDir
    Path dir;

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-30T06:00:00Z"));
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };
    private SnapshotStores stores;
    private ClusterSpec cluster;
    private OperationLeases replicaA;
    private OperationLeases replicaB;
    private Backplane backplane;

    @BeforeEach
    void setUp(Backplane backplane) {
        this.backplane = backplane;
        stores = new SnapshotStores(new S3Clients());
    }

    /** The same tests on S3 (S3Proxy's conditional writes) and on a directory store (a file lock). */
    private void use(String kind) throws Exception {
        Path credentials = backplane.s3().writeCredentials(dir.resolve("s3.properties"));
        StoreSpec store = kind.equals("s3")
                ? new StoreSpec(
                        backplane.bucket(),
                        "leases-test",
                        null,
                        backplane.s3().endpoint(),
                        credentials.toString(),
                        null,
                        null,
                        null,
                        null)
                : new StoreSpec(
                        "leases", null, null, dir.resolve("store").toUri().toString(), null, null, null, null, null);
        cluster = new ClusterSpec(
                "lease-" + UUID.randomUUID().toString().substring(0, 8),
                null,
                store,
                null,
                null,
                null,
                null,
                null,
                null,
                null);
        ObjectStoreLeases leases = new ObjectStoreLeases(stores);
        replicaA = new OperationLeases(leases, Duration.ofSeconds(30), clock, "replica-a");
        replicaB = new OperationLeases(leases, Duration.ofSeconds(30), clock, "replica-b");
    }

    @AfterEach
    void tearDown() {
        if (replicaA != null) {
            replicaA.close();
            replicaB.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3", "directory"})
    void oneHolderPerKindAndConflictingKindsExcludeEachOther(String kind) throws Exception {
        use(kind);
        HeldLease defrag = replicaA.acquire(cluster, OperationKind.DEFRAG, "op-1", null);

        assertThatThrownBy(() -> replicaB.acquire(cluster, OperationKind.DEFRAG, "op-2", null))
                .isInstanceOf(GuardianException.class)
                .hasMessageContaining("op-1")
                .hasMessageContaining("replica-a")
                .satisfies(e -> assertThat(((GuardianException) e).reason()).isEqualTo(Reason.BUSY));
        assertThatThrownBy(() -> replicaB.acquire(cluster, OperationKind.RESTORE, "op-3", null))
                .hasMessageContaining("defrag op-1 is running");
        // the refused restore let its own lease go again: it blocks nothing
        assertThat(replicaA.holding(cluster, OperationKind.RESTORE)).isEmpty();
        HeldLease snapshot = replicaB.acquire(cluster, OperationKind.SNAPSHOT, "op-4", null);
        snapshot.close();

        defrag.close();
        try (HeldLease next = replicaB.acquire(cluster, OperationKind.DEFRAG, "op-2", null)) {
            assertThat(next.token()).isEqualTo(2);
            next.verify();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3", "directory"})
    void aHolderThatDiedIsReplacedAfterTheTtlAndFencedByTheLargerToken(String kind) throws Exception {
        use(kind);
        HeldLease zombie = replicaA.acquire(cluster, OperationKind.RESTORE, "op-1", "snap-1");
        assertThatThrownBy(() -> replicaB.acquire(cluster, OperationKind.RESTORE, "op-2", null))
                .hasMessageContaining("op-1");

        now.set(now.get().plusSeconds(31)); // replica A stopped renewing (dead, or paused longer than the TTL)
        try (HeldLease successor = replicaB.acquire(cluster, OperationKind.RESTORE, "op-2", null)) {
            assertThat(successor.token()).isEqualTo(zombie.token() + 1);
            assertThatThrownBy(zombie::verify)
                    .isInstanceOf(LeaseLostException.class)
                    .hasMessageContaining("lost its lease")
                    .hasMessageContaining("replica-b");
            successor.verify();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3", "directory"})
    void aRedeliveredOperationTakesItsLeaseOverAndTheOldReplicaStops(String kind) throws Exception {
        use(kind);
        // a rebalance hands the partition to B while A is still inside a step: partition ownership is no lock
        HeldLease onA = replicaA.acquire(cluster, OperationKind.DEFRAG, "op-1", null);
        HeldLease onB = replicaB.acquire(cluster, OperationKind.DEFRAG, "op-1", null);

        assertThat(onB.token()).isEqualTo(onA.token() + 1);
        assertThatThrownBy(onA::verify).isInstanceOf(LeaseLostException.class);
        onB.verify();
        onA.close(); // a fenced holder's release must not free its successor's lease
        assertThat(replicaB.holding(cluster, OperationKind.DEFRAG))
                .get()
                .satisfies(l -> assertThat(l.holder()).isEqualTo("replica-b"));
        onB.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3", "directory"})
    void aLeaseThisReplicaCouldNotReleaseDoesNotBlockItsNextOperation(String kind) throws Exception {
        use(kind);
        java.util.concurrent.atomic.AtomicBoolean storeDown = new java.util.concurrent.atomic.AtomicBoolean();
        LeaseStore real = new ObjectStoreLeases(stores);
        LeaseStore flaky = new LeaseStore() {
            @Override
            public java.util.Optional<Versioned> read(ClusterSpec c, OperationKind k) {
                if (storeDown.get()) {
                    throw new GuardianException(Reason.STORE_UNAVAILABLE, "store down");
                }
                return real.read(c, k);
            }

            @Override
            public boolean compareAndSet(ClusterSpec c, Lease lease, String expected) {
                return real.compareAndSet(c, lease, expected);
            }
        };
        OperationLeases replica = new OperationLeases(flaky, Duration.ofSeconds(30), clock, "replica-c");
        HeldLease first = replica.acquire(cluster, OperationKind.SNAPSHOT, "op-1", null);
        storeDown.set(true); // the upload failed because the store went away; the release fails too
        first.close();
        storeDown.set(false);
        try (HeldLease next = replica.acquire(cluster, OperationKind.SNAPSHOT, "op-2", null)) {
            assertThat(next.token()).isEqualTo(2);
        }
        // another replica still waits for the lease to expire: it cannot know op-1 has ended
        HeldLease third = replica.acquire(cluster, OperationKind.SNAPSHOT, "op-3", null);
        assertThatThrownBy(() -> replicaA.acquire(cluster, OperationKind.SNAPSHOT, "op-4", null))
                .hasMessageContaining("op-3");
        third.close();
        replica.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3", "directory"})
    void racingReplicasGetExactlyOneLease(String kind) throws Exception {
        use(kind);
        int contenders = 6;
        ExecutorService pool = Executors.newFixedThreadPool(contenders);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<HeldLease>> attempts = new ArrayList<>();
        for (int i = 0; i < contenders; i++) {
            OperationLeases replica =
                    new OperationLeases(new ObjectStoreLeases(stores), Duration.ofSeconds(30), clock, "replica-" + i);
            String op = "op-" + i;
            attempts.add(pool.submit((Callable<HeldLease>) () -> {
                start.await();
                try {
                    return replica.acquire(cluster, OperationKind.RETENTION, op, null);
                } catch (GuardianException e) {
                    return null;
                }
            }));
        }
        start.countDown();
        List<HeldLease> winners = new ArrayList<>();
        for (Future<HeldLease> attempt : attempts) {
            HeldLease held = attempt.get();
            if (held != null) {
                winners.add(held);
            }
        }
        pool.shutdown();
        assertThat(winners).hasSize(1);
        winners.get(0).verify();
        winners.get(0).close();
    }
}
