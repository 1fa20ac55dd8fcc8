package io.etcdguardian.common.operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.store.SnapshotStore;
import io.etcdguardian.common.store.SnapshotStores;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most N operations of a kind at once per storage domain (the fleet's {@code storageDomain}: the
 * disk array, hypervisor or storage class many clusters share), across every replica: N slot objects
 * in the domain's one store ({@code <prefix>_domains/<domain>/<kind>/<i>.json}), each taken by a
 * conditional write and renewed while held, like the clusters' leases. A slot left by a replica that
 * died expires after the lease TTL. A throttle, not a fence: the cluster's own lease still guards its
 * data. A cluster without a domain needs no slot.
 */
@Singleton
public class DomainSlots {
    private static final Logger LOG = LoggerFactory.getLogger(DomainSlots.class);
    private static final Duration FIRST_POLL = Duration.ofMillis(500);
    private static final Duration LONGEST_POLL = Duration.ofSeconds(10);

    /** One slot as stored: who holds it, for which operation, until when unless renewed. */
    public record Slot(
            String domain,
            String kind,
            int index,
            String clusterId,
            String operationId,
            String holder,
            Instant expiresAt) {}

    private final SnapshotStores stores;
    private final Duration ttl;
    private final Clock clock;
    private final String holder;
    private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "domain-slot-renewer");
        t.setDaemon(true);
        return t;
    });

    /** Slots are held under the replica's lease-holder name: an operator sees one name per replica. */
    @Inject
    public DomainSlots(SnapshotStores stores, OperationSettings settings, OperationLeases leases) {
        this(stores, settings.leaseTtl(), Clock.systemUTC(), leases.holder());
    }

    DomainSlots(SnapshotStores stores, Duration ttl, Clock clock, String holder) {
        this.stores = stores;
        this.ttl = ttl;
        this.clock = clock;
        this.holder = holder;
    }

    /** A slot held until closed; nothing to close for a cluster without a domain. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes one of the {@code limit} slots of the cluster's domain for {@code kind}, waiting up to
     * {@code maxWait} for one to free up — {@code waiting} hears, once, who holds them — else BUSY
     * (retriable) naming them.
     */
    public Held take(
            ClusterSpec cluster,
            OperationKind kind,
            String operationId,
            int limit,
            Duration maxWait,
            Consumer<String> waiting) {
        String domain = cluster.storageDomain();
        if (domain == null) {
            return () -> {};
        }
        SnapshotStore store = stores.of(cluster);
        Instant deadline = clock.instant().plus(maxWait);
        Duration poll = FIRST_POLL;
        boolean told = false;
        while (true) {
            List<Slot> busy = new ArrayList<>();
            for (int i = 0; i < limit; i++) {
                Optional<Slot> mine = tryTake(store, cluster, domain, kind, i, operationId, busy);
                if (mine.isPresent()) {
                    LOG.info(
                            "{} {} of {} took slot {} of {} of storage domain {}",
                            kind.key(),
                            operationId,
                            cluster.id(),
                            i + 1,
                            limit,
                            domain);
                    return hold(store, key(cluster, domain, kind, i), mine.get());
                }
            }
            String holders = "storage domain " + domain + " has " + limit + " " + kind.key() + (limit == 1 ? "" : "s")
                    + " running already (at most " + limit + "): "
                    + String.join(
                            ", ",
                            busy.stream()
                                    .map(s -> s.clusterId() + " " + s.operationId())
                                    .toList());
            if (!clock.instant().isBefore(deadline)) {
                throw new GuardianException(Reason.BUSY, true, holders + "; waited " + maxWait, null);
            }
            if (!told) {
                waiting.accept(holders + "; waiting up to " + maxWait + " for one to end");
                told = true;
            }
            sleep(poll);
            poll = poll.multipliedBy(2).compareTo(LONGEST_POLL) > 0 ? LONGEST_POLL : poll.multipliedBy(2);
        }
    }

    private Optional<Slot> tryTake(
            SnapshotStore store,
            ClusterSpec cluster,
            String domain,
            OperationKind kind,
            int index,
            String operationId,
            List<Slot> busy) {
        String key = key(cluster, domain, kind, index);
        Optional<SnapshotStore.Versioned> stored = store.readVersioned(key);
        Instant now = clock.instant();
        if (stored.isPresent()) {
            Slot current = parse(stored.get().bytes(), key);
            if (current.expiresAt().isAfter(now) && !current.operationId().equals(operationId)) {
                busy.add(current);
                return Optional.empty();
            }
        }
        Slot mine = new Slot(domain, kind.key(), index, cluster.id(), operationId, holder, now.plus(ttl));
        boolean taken = store.compareAndSet(
                key, json(mine), stored.map(SnapshotStore.Versioned::version).orElse(null));
        if (taken) {
            return Optional.of(mine);
        }
        // lost a race for it: whoever won holds it now (the next slot, or the next round, for us)
        store.readVersioned(key)
                .map(v -> parse(v.bytes(), key))
                .filter(s -> s.expiresAt().isAfter(clock.instant()))
                .ifPresent(busy::add);
        return Optional.empty();
    }

    private Held hold(SnapshotStore store, String key, Slot slot) {
        ScheduledFuture<?> renewal = renewer.scheduleAtFixedRate(
                () -> write(store, key, slot, clock.instant().plus(ttl), "renew"),
                ttl.toMillis() / 3,
                ttl.toMillis() / 3,
                TimeUnit.MILLISECONDS);
        return () -> {
            renewal.cancel(false);
            write(store, key, slot, clock.instant(), "release"); // expired now: free for the next
        };
    }

    /** Renews or releases the slot if it is still this operation's; a slot taken over is left alone. */
    private void write(SnapshotStore store, String key, Slot slot, Instant until, String what) {
        try {
            Optional<SnapshotStore.Versioned> stored = store.readVersioned(key);
            Slot current = stored.map(v -> parse(v.bytes(), key)).orElse(null);
            if (current == null
                    || !current.operationId().equals(slot.operationId())
                    || !current.holder().equals(holder)) {
                LOG.warn("slot {} of {} is no longer {}'s: not {}ed", key, slot.domain(), slot.operationId(), what);
                return;
            }
            Slot next = new Slot(
                    slot.domain(), slot.kind(), slot.index(), slot.clusterId(), slot.operationId(), holder, until);
            if (!store.compareAndSet(key, json(next), stored.get().version())) {
                LOG.warn("slot {} changed hands while {} tried to {} it", key, slot.operationId(), what);
            }
        } catch (RuntimeException e) {
            // released or not, it expires after the TTL
            LOG.warn("cannot {} slot {} ({}); it expires by itself", what, key, e.getMessage());
        }
    }

    private static String key(ClusterSpec cluster, String domain, OperationKind kind, int index) {
        return cluster.store().prefixOrEmpty() + "_domains/" + domain + "/" + kind.key() + "/" + index + ".json";
    }

    private static byte[] json(Slot slot) {
        try {
            return EventJson.MAPPER.writeValueAsBytes(slot);
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot serialise a domain slot", e);
        }
    }

    private static Slot parse(byte[] bytes, String key) {
        try {
            return EventJson.MAPPER.readValue(bytes, Slot.class);
        } catch (IOException e) {
            throw new GuardianException(Reason.INTERNAL, "unreadable domain slot " + key, e);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardianException(Reason.INTERNAL, "interrupted waiting for a domain slot", e);
        }
    }

    @PreDestroy
    void stop() {
        renewer.shutdownNow();
    }
}
