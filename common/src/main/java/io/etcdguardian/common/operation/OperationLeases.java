package io.etcdguardian.common.operation;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-cluster, per-kind leases that hold across replicas and expire when their holder dies. A lease
 * is taken (compare-and-set), then the kinds it excludes are checked: both sides of a conflict
 * check after holding their own, so two conflicting operations can both back off but never both
 * run. The same operation (a redelivered request) takes its own lease over with a larger token,
 * which fences the replica that ran it before.
 */
@Singleton
public class OperationLeases {
    private static final Logger LOG = LoggerFactory.getLogger(OperationLeases.class);

    private final LeaseStore store;
    private final Duration ttl;
    private final Clock clock;
    private final String holder;
    /** operation/token of the leases this replica holds now. */
    private final java.util.Set<String> running = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lease-renewer");
        t.setDaemon(true);
        return t;
    });

    @Inject
    public OperationLeases(LeaseStore store, OperationSettings settings) {
        // pid@host names the replica for an operator; the suffix keeps two services in one JVM apart
        this(
                store,
                settings.leaseTtl(),
                Clock.systemUTC(),
                ManagementFactory.getRuntimeMXBean().getName() + "/"
                        + java.util.UUID.randomUUID().toString().substring(0, 6));
    }

    /** This replica's name on what it holds: pid@host and a suffix. */
    String holder() {
        return holder;
    }

    OperationLeases(LeaseStore store, Duration ttl, Clock clock, String holder) {
        this.store = store;
        this.ttl = ttl;
        this.clock = clock;
        this.holder = holder;
    }

    /** Takes the lease or fails with BUSY naming who holds it (or the operation it conflicts with). */
    public HeldLease acquire(ClusterSpec cluster, OperationKind kind, String operationId, String subject) {
        Lease mine = take(cluster, kind, operationId, subject);
        running.add(mine.operationId() + "/" + mine.token());
        HeldLease held = new HeldLease(this, cluster, mine);
        try {
            for (OperationKind other : kind.excludes()) {
                Optional<Lease> conflicting = holding(cluster, other);
                if (conflicting.isPresent()) {
                    throw new GuardianException(
                            Reason.BUSY,
                            kind.key() + " of " + cluster.id() + " refused: "
                                    + other.key() + " " + conflicting.get().operationId() + " is running (until "
                                    + conflicting.get().expiresAt() + " unless renewed)");
                }
            }
        } catch (RuntimeException e) {
            held.close();
            throw e;
        }
        held.scheduleRenewal(renewer, ttl.dividedBy(3));
        return held;
    }

    /** The lease of {@code kind} on the cluster, if someone holds it now. */
    public Optional<Lease> holding(ClusterSpec cluster, OperationKind kind) {
        Instant now = clock.instant();
        return store.read(cluster, kind).map(LeaseStore.Versioned::lease).filter(l -> l.heldAt(now));
    }

    private Lease take(ClusterSpec cluster, OperationKind kind, String operationId, String subject) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Instant now = clock.instant();
            Optional<LeaseStore.Versioned> current = store.read(cluster, kind);
            if (current.isPresent()
                    && current.get().lease().heldAt(now)
                    && !current.get().lease().operationId().equals(operationId)
                    && !endedHere(current.get().lease())) {
                Lease other = current.get().lease();
                throw new GuardianException(
                        Reason.BUSY,
                        kind.key() + " " + other.operationId() + " of " + cluster.id() + " is running on "
                                + other.holder() + " (lease until " + other.expiresAt() + ")");
            }
            long token = current.map(v -> v.lease().token() + 1).orElse(1L);
            Lease next = new Lease(cluster.id(), kind, operationId, holder, subject, token, now, now.plus(ttl));
            if (store.compareAndSet(
                    cluster, next, current.map(LeaseStore.Versioned::version).orElse(null))) {
                LOG.info("took the {} lease of {} for {} (token {})", kind.key(), cluster.id(), operationId, token);
                return next;
            }
        }
        throw new GuardianException(
                Reason.BUSY, "the " + kind.key() + " lease of " + cluster.id() + " keeps changing hands; try again");
    }

    /**
     * A lease this replica took for an operation that has ended here, but could not release (the
     * store was down at that moment): it waits for nobody, so this replica's next operation may take it.
     */
    private boolean endedHere(Lease lease) {
        return lease.holder().equals(holder) && !running.contains(lease.operationId() + "/" + lease.token());
    }

    /** Extends the lease if it is still this holder's; false when it was taken over (fenced). */
    boolean renew(ClusterSpec cluster, Lease lease) {
        Optional<LeaseStore.Versioned> current = store.read(cluster, lease.kind());
        if (current.isEmpty() || current.get().lease().token() != lease.token()) {
            return false;
        }
        return store.compareAndSet(
                cluster,
                lease.renewedUntil(clock.instant().plus(ttl)),
                current.get().version());
    }

    /** Fails unless the lease is still this holder's and unexpired: called before every destructive act. */
    void verify(ClusterSpec cluster, Lease lease) {
        Optional<LeaseStore.Versioned> current = store.read(cluster, lease.kind());
        Instant now = clock.instant();
        if (current.isEmpty()
                || current.get().lease().token() != lease.token()
                || !current.get().lease().heldAt(now)) {
            throw new LeaseLostException(lease.kind().key() + " " + lease.operationId() + " of " + cluster.id()
                    + " lost its lease (token " + lease.token() + ", now "
                    + current.map(v ->
                                    v.lease().token() + " held by " + v.lease().holder())
                            .orElse("none") + ")");
        }
    }

    /** Lets the lease go at once (it keeps its token, so the next holder's is still larger). */
    void release(ClusterSpec cluster, Lease lease) {
        running.remove(lease.operationId() + "/" + lease.token());
        try {
            Optional<LeaseStore.Versioned> current = store.read(cluster, lease.kind());
            if (current.isPresent() && current.get().lease().token() == lease.token()) {
                store.compareAndSet(
                        cluster,
                        lease.renewedUntil(clock.instant()),
                        current.get().version());
            }
        } catch (RuntimeException e) {
            LOG.warn(
                    "could not release the {} lease of {} (it expires by itself): {}",
                    lease.kind().key(),
                    cluster.id(),
                    e.toString());
        }
    }

    @PreDestroy
    void close() {
        renewer.shutdownNow();
        try {
            renewer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
