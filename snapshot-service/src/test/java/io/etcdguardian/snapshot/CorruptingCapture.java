package io.etcdguardian.snapshot;

import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.snapshot.capture.SnapshotCapture;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

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
    protected OutputStream tap(ClusterSpec cluster, OutputStream stream) {
        boolean flip = cluster.id().startsWith("corrupt-");
        boolean truncate = cluster.id().startsWith("truncate-");
        if (!flip && !truncate) {
            return stream;
        }
        return new FilterOutputStream(stream) {
            private long seen;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                byte[] copy = java.util.Arrays.copyOfRange(b, off, off + len);
                if (flip && seen <= 5000 && seen + len > 5000) {
                    copy[(int) (5000 - seen)] ^= 0x40;
                }
                int keep = truncate ? (int) Math.max(0, Math.min(len, 8192 - seen)) : len;
                seen += len;
                out.write(copy, 0, keep);
            }
        };
    }
}
