package io.etcdguardian.snapshot.capture;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.SnapshotResponse;
import io.etcdguardian.common.digest.TrailerDigest;
import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Streams a snapshot from one member into the spool through the trailer check. The stream is
 * written as fast as etcd sends it: the spool is local disk, and nothing downstream pushes back.
 * Each message's bytes go from the gRPC message to the spool without a copy on the heap (a direct
 * batch buffer in between): jetcd's {@code snapshot(OutputStream)} copies every 32 KiB message into
 * a new array, about the database's size in garbage, which kept a small heap's collector busy.
 */
@Singleton
public class SnapshotCapture {
    /** etcd sends 32 KiB messages; batching them to 1 MiB spares the spool a syscall and a wake-up each. */
    private static final int BATCH = 1 << 20;

    private final EtcdClients clients;

    public SnapshotCapture(EtcdClients clients) {
        this.clients = clients;
    }

    /** The raw stream's size and SHA-256 once its trailer checked out. */
    public record Captured(long bytes, String sha256) {}

    public Captured capture(ClusterSpec cluster, String endpoint, Spool spool, Duration deadline) {
        Stream stream = new Stream(cluster, spool);
        try {
            Client client = clients.member(cluster, endpoint);
            client.getMaintenanceClient().snapshot(stream);
            stream.done.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            stream.stop();
            fail(spool, "snapshot did not finish within " + deadline);
            throw new GuardianException(
                    Reason.TIMEOUT,
                    "snapshot from " + endpoint + " did not finish within " + deadline + " (" + stream.digest.total()
                            + " bytes so far)",
                    e);
        } catch (ExecutionException e) {
            fail(spool, "snapshot stream broke");
            throw new GuardianException(
                    Reason.ETCD_UNAVAILABLE,
                    "snapshot stream from " + endpoint + " broke after " + stream.digest.total() + " bytes: "
                            + rootMessage(e),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stream.stop();
            fail(spool, "interrupted");
            throw new GuardianException(Reason.INTERNAL, "interrupted", e);
        }
        if (stream.lastBatchFailed != null) {
            fail(spool, "spool write failed");
            throw new GuardianException(
                    Reason.INTERNAL,
                    "cannot write the spool: " + stream.lastBatchFailed.getMessage(),
                    stream.lastBatchFailed);
        }
        try {
            String sha256 = stream.digest.check();
            spool.finish();
            return new Captured(stream.digest.total(), sha256);
        } catch (TrailerDigest.IntegrityException e) {
            fail(spool, e.getMessage());
            throw new GuardianException(Reason.INTEGRITY_FAILED, e.getMessage());
        }
    }

    /**
     * What etcd's bytes go through before the trailer check: {@code chunk} (its remaining bytes) came
     * {@code offset} bytes into the stream; the bytes returned go on. Tests corrupt the real stream here.
     */
    protected ByteBuffer tap(ClusterSpec cluster, long offset, ByteBuffer chunk) {
        return chunk;
    }

    private static void fail(Spool spool, String why) {
        spool.fail(new IOException(why));
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    /**
     * Receives etcd's messages (one at a time, on the client's event loop) into the digest and the
     * spool; done when the stream ended and the last batch is in the spool.
     */
    private final class Stream implements StreamObserver<SnapshotResponse> {
        final TrailerDigest digest = new TrailerDigest(OutputStream.nullOutputStream());
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final ClusterSpec cluster;
        private final Spool spool;
        private final ByteBuffer batch = ByteBuffer.allocateDirect(BATCH);
        private volatile boolean stopped;
        private volatile IOException lastBatchFailed;

        Stream(ClusterSpec cluster, Spool spool) {
            this.cluster = cluster;
            this.spool = spool;
        }

        /** Given up on (deadline, interrupt): whatever still arrives is dropped, the spool is failed. */
        void stop() {
            stopped = true;
        }

        @Override
        public void onNext(SnapshotResponse response) {
            if (stopped || done.isDone()) {
                return;
            }
            try {
                ByteBuffer chunk =
                        tap(cluster, digest.total(), response.getBlob().asReadOnlyByteBuffer());
                digest.digest(chunk);
                if (chunk.remaining() > batch.remaining()) {
                    flush();
                }
                if (chunk.remaining() > batch.remaining()) {
                    spool.write(chunk); // larger than a batch: as it is
                } else {
                    batch.put(chunk);
                }
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e); // the stream goes on arriving; stopped, it is dropped
            }
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            if (stopped || done.isDone()) {
                return;
            }
            try {
                flush();
            } catch (IOException e) {
                lastBatchFailed = e; // the stream itself arrived whole: a local disk failed, not etcd
            }
            done.complete(null);
        }

        private void flush() throws IOException {
            batch.flip();
            spool.write(batch);
            batch.clear();
        }
    }
}
