package io.etcdguardian.snapshot.capture;

import io.etcd.jetcd.Client;
import io.etcdguardian.common.digest.TrailerDigest;
import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import jakarta.inject.Singleton;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Streams a snapshot from one member into the spool through the trailer check. The stream is
 * written as fast as etcd sends it: the spool is local disk, and nothing downstream pushes back.
 */
@Singleton
public class SnapshotCapture {
    private final EtcdClients clients;

    public SnapshotCapture(EtcdClients clients) {
        this.clients = clients;
    }

    /** The raw stream's size and SHA-256 once its trailer checked out. */
    public record Captured(long bytes, String sha256) {}

    public Captured capture(ClusterSpec cluster, String endpoint, Spool spool, Duration deadline) {
        // etcd sends 32 KiB messages; batching them to 1 MiB spares the spool a syscall and a wake-up each
        BufferedOutputStream spooled = new BufferedOutputStream(spool.output(), 1 << 20);
        TrailerDigest digest = new TrailerDigest(spooled);
        try {
            Client client = clients.member(cluster, endpoint);
            client.getMaintenanceClient()
                    .snapshot(new NonClosing(tap(cluster, digest)))
                    .get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            fail(spool, "snapshot did not finish within " + deadline);
            throw new GuardianException(
                    Reason.TIMEOUT,
                    "snapshot from " + endpoint + " did not finish within " + deadline + " (" + digest.total()
                            + " bytes so far)",
                    e);
        } catch (ExecutionException e) {
            fail(spool, "snapshot stream broke");
            throw new GuardianException(
                    Reason.ETCD_UNAVAILABLE,
                    "snapshot stream from " + endpoint + " broke after " + digest.total() + " bytes: " + rootMessage(e),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(spool, "interrupted");
            throw new GuardianException(Reason.INTERNAL, "interrupted", e);
        }
        try {
            spooled.flush();
        } catch (IOException e) {
            fail(spool, "spool write failed");
            throw new GuardianException(Reason.INTERNAL, "cannot write the spool: " + e.getMessage(), e);
        }
        try {
            String sha256 = digest.check();
            spool.finish();
            return new Captured(digest.total(), sha256);
        } catch (TrailerDigest.IntegrityException e) {
            fail(spool, e.getMessage());
            throw new GuardianException(Reason.INTEGRITY_FAILED, e.getMessage());
        }
    }

    /** What etcd's bytes go through before the trailer check; tests corrupt the real stream here. */
    protected OutputStream tap(ClusterSpec cluster, OutputStream stream) {
        return stream;
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

    /** jetcd closes the stream it was given; the trailer check still needs it afterwards. */
    private static final class NonClosing extends OutputStream {
        private final OutputStream out;

        NonClosing(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }
    }
}
