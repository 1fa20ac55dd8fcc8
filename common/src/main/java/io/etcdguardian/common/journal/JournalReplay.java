package io.etcdguardian.common.journal;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Writes journal revisions into a scratch etcd restored from the snapshot they follow: one transaction
 * per original revision, its events in their order, so that etcd gives every key the same revision,
 * create revision and version as the source did. Each transaction must land on exactly its revision,
 * else the replay stops (the scratch is not the state the journal follows). Leases a put names are
 * granted first with their id and TTL. Plain gRPC on loopback: the scratch member is ours alone.
 */
public final class JournalReplay implements AutoCloseable {
    /** When the writer could not read a lease's TTL (it had ended): long enough to outlast a replay. */
    private static final long UNKNOWN_TTL_SECONDS = 3600;

    private final ManagedChannel channel;
    private final KVGrpc.KVBlockingStub kv;
    private final LeaseGrpc.LeaseBlockingStub leases;
    private final Set<Long> granted = new HashSet<>();
    private long revision;
    private long bytes;

    private JournalReplay(ManagedChannel channel) {
        this.channel = channel;
        this.kv = KVGrpc.newBlockingStub(channel);
        this.leases = LeaseGrpc.newBlockingStub(channel);
        this.revision = kv.range(RangeRequest.newBuilder()
                        .setKey(ByteString.copyFrom(new byte[] {0}))
                        .setLimit(1)
                        .setCountOnly(true)
                        .build())
                .getHeader()
                .getRevision();
    }

    /** {@code endpoint}: the scratch member's client URL, {@code http://127.0.0.1:port}. */
    public static JournalReplay open(String endpoint) {
        URI uri = URI.create(endpoint);
        return new JournalReplay(NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort())
                .usePlaintext()
                .maxInboundMessageSize(64 << 20)
                .build());
    }

    /** The scratch member's revision: the last one replayed, or the snapshot's. */
    public long revision() {
        return revision;
    }

    /** Key and value bytes written so far. */
    public long bytes() {
        return bytes;
    }

    /** Applies {@code r}, which must be the revision after {@link #revision()}; earlier ones are skipped (segments may overlap). */
    public void apply(JournalRevision r) {
        if (r.revision() <= revision) {
            return;
        }
        if (r.revision() != revision + 1) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "journal replay at revision " + revision + " was handed revision " + r.revision()
                            + ": the revisions between are missing");
        }
        TxnRequest.Builder txn = TxnRequest.newBuilder();
        for (JournalEvent e : r.events()) {
            bytes += e.key().length + e.value().length;
            if (e.delete()) {
                txn.addSuccess(RequestOp.newBuilder()
                        .setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(ByteString.copyFrom(e.key()))));
                continue;
            }
            if (e.lease() != 0) {
                grant(e.lease(), e.leaseTtl());
            }
            txn.addSuccess(RequestOp.newBuilder()
                    .setRequestPut(PutRequest.newBuilder()
                            .setKey(ByteString.copyFrom(e.key()))
                            .setValue(ByteString.copyFrom(e.value()))
                            .setLease(e.lease())));
        }
        TxnResponse response;
        try {
            response = kv.withDeadlineAfter(60, TimeUnit.SECONDS).txn(txn.build());
        } catch (StatusRuntimeException e) {
            throw new GuardianException(
                    Reason.INTERNAL, "journal replay of revision " + r.revision() + " failed: " + e.getStatus(), e);
        }
        long landed = response.getHeader().getRevision();
        if (landed != r.revision()) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "journal revision " + r.revision() + " landed at revision " + landed
                            + " of the scratch member: it does not hold the state the journal follows");
        }
        revision = landed;
    }

    private void grant(long lease, long ttl) {
        if (!granted.add(lease)) {
            return;
        }
        try {
            leases.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .leaseGrant(LeaseGrantRequest.newBuilder()
                            .setID(lease)
                            .setTTL(ttl > 0 ? ttl : UNKNOWN_TTL_SECONDS)
                            .build());
        } catch (StatusRuntimeException e) {
            // granted before the snapshot: the restored member has it already
            if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION
                    || !String.valueOf(e.getStatus().getDescription()).contains("lease already exists")) {
                throw new GuardianException(
                        Reason.INTERNAL, "cannot grant lease " + Long.toHexString(lease) + ": " + e.getStatus(), e);
            }
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
