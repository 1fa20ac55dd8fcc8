package io.etcdguardian.common.operation;

import io.etcdguardian.common.fleet.ClusterSpec;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A lease this replica holds: renewed in the background, checked before each destructive act. */
public final class HeldLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeldLease.class);

    private final OperationLeases leases;
    private final ClusterSpec cluster;
    private final Lease lease;
    private volatile boolean lost;
    private volatile ScheduledFuture<?> renewal;

    HeldLease(OperationLeases leases, ClusterSpec cluster, Lease lease) {
        this.leases = leases;
        this.cluster = cluster;
        this.lease = lease;
    }

    public Lease lease() {
        return lease;
    }

    public long token() {
        return lease.token();
    }

    void scheduleRenewal(ScheduledExecutorService renewer, java.time.Duration every) {
        renewal =
                renewer.scheduleWithFixedDelay(this::renew, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void renew() {
        try {
            if (!leases.renew(cluster, lease)) {
                lost = true;
                LOG.warn(
                        "the {} lease of {} for {} was taken over",
                        lease.kind().key(),
                        cluster.id(),
                        lease.operationId());
                renewal.cancel(false);
            }
        } catch (RuntimeException e) {
            // a store hiccup is not a loss yet: the lease stays ours until it expires, and verify() checks that
            LOG.warn("could not renew the {} lease of {}: {}", lease.kind().key(), cluster.id(), e.toString());
        }
    }

    /**
     * The fencing check: throws {@link LeaseLostException} unless this replica still holds the lease
     * with its token. Call it immediately before every delete, scale, data replacement, defrag, disarm.
     */
    public void verify() {
        if (lost) {
            throw new LeaseLostException(lease.kind().key() + " " + lease.operationId() + " of " + cluster.id()
                    + " lost its lease (token " + lease.token() + ")");
        }
        leases.verify(cluster, lease);
    }

    @Override
    public void close() {
        if (renewal != null) {
            renewal.cancel(false);
        }
        leases.release(cluster, lease); // a lost lease is not released: the token check inside leaves it alone
    }
}
