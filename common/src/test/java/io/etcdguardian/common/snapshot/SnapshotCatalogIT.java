package io.etcdguardian.common.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.StoreSpec;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.store.SnapshotStores;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots taken within one second have ids that share the second and differ in a random suffix,
 * which does not sort by time: {@code newest} is still the one taken last, as {@link
 * SnapshotCatalog#list} orders them (a drill scheduler that read the catalogue's newest and then
 * asked the store for "the newest" drilled the wrong one, and waited for ever on the right one).
 */
@ExtendWith(BackplaneExtension.class)
class SnapshotCatalogIT {
    @TempDir
    Path dir;

    @Test
    void newestIsTheOneTakenLastEvenWithinOneSecond(Backplane backplane) {
        StoreSpec store = new StoreSpec(
                backplane.bucket(),
                "catalog-newest-" + UUID.randomUUID().toString().substring(0, 6) + "/",
                null,
                backplane.s3().endpoint(),
                backplane.s3().writeCredentials(dir.resolve("s3.properties")).toString(),
                null,
                null,
                null,
                null);
        ClusterSpec cluster = new ClusterSpec("same-second", null, store, null, null, null, null, null, null, null);
        SnapshotCatalog catalog = new SnapshotCatalog(new SnapshotStores(new S3Clients()));
        Instant second = Instant.parse("2026-12-01T21:09:32Z");
        catalog.write(cluster, taken(cluster, "20261201T210932Z-fd4944af", second.plusMillis(3)));
        catalog.write(cluster, taken(cluster, "20261201T210932Z-e83a2e63", second.plusMillis(662)));
        catalog.write(cluster, taken(cluster, "20261201T210931Z-ffffffff", second.minusMillis(400)));

        assertThat(catalog.newest(cluster).orElseThrow().snapshotId())
                .as("taken last, though its suffix sorts first")
                .isEqualTo("20261201T210932Z-e83a2e63");
        assertThat(catalog.list(cluster).get(2).snapshotId()).isEqualTo("20261201T210932Z-e83a2e63");

        catalog.write(cluster, taken(cluster, "20261201T210933Z-00000000", second.plusMillis(1001)));
        assertThat(catalog.newest(cluster).orElseThrow().snapshotId()).isEqualTo("20261201T210933Z-00000000");
    }

    private static SnapshotManifest taken(ClusterSpec cluster, String id, Instant at) {
        return new SnapshotManifest(
                1,
                cluster.id(),
                id,
                "r-" + id,
                "ON_DEMAND",
                at,
                at.plusMillis(50),
                "m",
                "3.6",
                null,
                613,
                1,
                1,
                "h",
                100,
                90,
                "s",
                "zstd",
                null,
                cluster.store().prefixOrEmpty() + cluster.id() + "/snapshots/" + id + ".db.zst",
                null,
                null,
                1L,
                null,
                null);
    }
}
