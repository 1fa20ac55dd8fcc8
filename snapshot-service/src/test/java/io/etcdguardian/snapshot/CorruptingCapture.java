package io.etcdguardian.snapshot;

import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.snapshot.capture.SnapshotCapture;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.nio.ByteBuffer;

/**
 * The real capture, except that for clusters named corrupt-* one byte of etcd's real stream is
 * flipped in transit, and for truncate-* the stream stops after 8 KiB.
 */
@Singleton
@Replaces(SnapshotCapture.class)
@Requires(property = "spec.name", value = "SnapshotServiceIT")
class CorruptingCapture extends SnapshotCapture {
    CorruptingCapture(EtcdClients clients) {
        super(clients);
    }

    @Override
    protected ByteBuffer tap(ClusterSpec cluster, long offset, ByteBuffer chunk) {
        boolean flip = cluster.id().startsWith("corrupt-");
        boolean truncate = cluster.id().startsWith("truncate-");
        if (!flip && !truncate) {
            return chunk;
        }
        byte[] copy = new byte[chunk.remaining()];
        chunk.duplicate().get(copy);
        if (flip && offset <= 5000 && offset + copy.length > 5000) {
            copy[(int) (5000 - offset)] ^= 0x40;
        }
        int keep = truncate ? (int) Math.max(0, Math.min(copy.length, 8192 - offset)) : copy.length;
        return ByteBuffer.wrap(copy, 0, keep);
    }
}
