package io.etcdguardian.snapshot.journal;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcdguardian.common.etcd.EtcdClients;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fault.Failpoints;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.journal.PointInTimePlan;
import io.etcdguardian.common.operation.OperationJournal;
import io.etcdguardian.common.operation.OperationKind;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.common.operation.Operations;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts one key prefix of a live cluster back as it was at a revision or time (one namespace's Secrets
 * deleted by mistake) without rolling back anything else: the prefix is materialised in a scratch member
 * (snapshot + journal), compared with the live cluster (keys to create, change, delete), and, unless a dry
 * run, each of those keys is written in its own transaction guarded by its live mod revision as read — a
 * key someone changed since is skipped and reported, never overwritten blindly. It runs as a RESTORE
 * operation (one per cluster, no defrag or retention meanwhile), journaled before it writes; run again, it
 * compares afresh, so what was written already is no longer a change.
 */
@Singleton
public class PrefixRestore {
    private static final Logger LOG = LoggerFactory.getLogger(PrefixRestore.class);
    private static final List<String> PLAN = List.of("materialise-and-compare", "apply");

    private final PointInTimeMaterializer materializer;
    private final EtcdClients clients;
    private final Operations operations;
    private final SnapshotSettings settings;
    private final OperationJournal journal;

    public PrefixRestore(
            PointInTimeMaterializer materializer,
            EtcdClients clients,
            Operations operations,
            SnapshotSettings settings,
            OperationJournal journal) {
        this.journal = journal;
        this.materializer = materializer;
        this.clients = clients;
        this.operations = operations;
        this.settings = settings;
    }

    /** One key's difference: CREATE (gone now), CHANGE (another value now), DELETE (did not exist then). */
    public record Change(String key, String action, long liveModRevision, int valueBytes) {}

    /** What was (or, in a dry run, would be) written, and what was skipped because it changed meanwhile. */
    public record Result(
            String clusterId,
            String prefix,
            long revision,
            Instant revisionTime,
            String baseSnapshotId,
            List<Change> changes,
            boolean dryRun,
            List<String> applied,
            List<String> skipped,
            String operationId) {}

    public Result run(ClusterSpec cluster, String prefix, Long toRevision, Instant toTime, boolean dryRun) {
        if (prefix == null || prefix.length() < 2 || !prefix.startsWith("/")) {
            throw new GuardianException(
                    Reason.INVALID_REQUEST,
                    "prefix must be a key prefix such as /registry/secrets/prod/, not '" + prefix
                            + "' (a whole cluster is restored with restore, not a prefix)");
        }
        BackupRequested request =
                BackupRequested.pointInTime(cluster.id(), toRevision, toTime, "prefix " + prefix, "prefix-restore");
        PointInTimePlan plan = materializer.plan(cluster, request);
        ByteSequence key = bytes(prefix);
        if (dryRun) {
            return compare(cluster, plan, key, prefix, true, null).result();
        }
        String operationId = "prefix-" + UUID.randomUUID();
        AtomicReference<Result> result = new AtomicReference<>();
        Operations.Start start = new Operations.Start(
                cluster,
                OperationKind.RESTORE,
                operationId,
                prefix,
                PLAN,
                Map.of(OperationRecord.PREFIX, prefix),
                false);
        Operations.Result ended = operations.run(start, run -> {
            endInterrupted(cluster, operationId);
            AtomicReference<Compared> compared = new AtomicReference<>();
            run.step(
                    "materialise-and-compare",
                    () -> compared.set(compare(cluster, plan, key, prefix, false, operationId)));
            Failpoints.hit("prefix.compared");
            run.step("apply", () -> result.set(apply(cluster, compared.get())));
            return "prefix " + prefix + " restored to revision " + plan.targetRevision() + ": "
                    + (result.get() == null
                            ? "nothing written"
                            : result.get().applied().size() + " keys written, "
                                    + result.get().skipped().size() + " skipped (changed since they were read)");
        });
        if (ended.status() != OperationRecord.Status.COMPLETED || result.get() == null) {
            OperationRecord record = ended.record();
            throw new GuardianException(
                    record.reason() == null ? Reason.INTERNAL : Reason.valueOf(record.reason()),
                    "prefix restore " + operationId + " " + record.status() + ": " + record.detail());
        }
        return result.get();
    }

    /**
     * Prefix restores whose service stopped mid-way stay RUNNING in the journal: under this one's lease none
     * of them is live, so they end here, saying which run took over (it compares afresh: what they wrote is
     * no longer a difference).
     */
    private void endInterrupted(ClusterSpec cluster, String operationId) {
        for (OperationRecord other : journal.ofCluster(cluster.id(), OperationKind.RESTORE)) {
            if (!other.operationId().equals(operationId)
                    && other.isPrefixRestore()
                    && other.status() == OperationRecord.Status.RUNNING) {
                journal.record(other.ended(
                        OperationRecord.Status.FAILED,
                        other.plan().stream()
                                .filter(step -> !other.done().contains(step))
                                .findFirst()
                                .orElse(null),
                        Reason.INTERNAL.name(),
                        "interrupted (its service stopped) after "
                                + (other.done().isEmpty() ? "no step" : String.join(", ", other.done()))
                                + "; prefix restore " + operationId + " took over, comparing afresh"));
                LOG.info(
                        "prefix restore {} of {} was interrupted; {} takes over",
                        other.operationId(),
                        cluster.id(),
                        operationId);
            }
        }
    }

    /** The comparison and the values to write back (which go no further than {@link #apply}: never to a caller). */
    private record Compared(Result result, Map<ByteSequence, ByteSequence> values) {}

    private Compared compare(
            ClusterSpec cluster, PointInTimePlan plan, ByteSequence prefix, String name, boolean dryRun, String id) {
        return materializer.onScratch(cluster, plan, Path.of(settings.spoolDir()), (scratch, time, n, bytes) -> {
            Map<ByteSequence, ByteSequence> then = new LinkedHashMap<>();
            try (Client restored = Client.builder()
                    .endpoints(scratch.endpoints().get(0))
                    .maxInboundMessageSize(512 << 20)
                    .build()) {
                for (KeyValue kv : range(restored, prefix)) {
                    then.put(kv.getKey(), kv.getValue());
                }
            }
            Map<ByteSequence, KeyValue> now = new LinkedHashMap<>();
            try (Client live = clients.dedicated(cluster, 512 << 20)) {
                for (KeyValue kv : range(live, prefix)) {
                    now.put(kv.getKey(), kv);
                }
            }
            Map<String, Change> changes = new TreeMap<>();
            then.forEach((k, v) -> {
                KeyValue current = now.get(k);
                if (current == null) {
                    changes.put(text(k), new Change(text(k), "CREATE", 0, v.size()));
                } else if (!current.getValue().equals(v)) {
                    changes.put(text(k), new Change(text(k), "CHANGE", current.getModRevision(), v.size()));
                }
            });
            now.forEach((k, current) -> {
                if (!then.containsKey(k)) {
                    changes.put(text(k), new Change(text(k), "DELETE", current.getModRevision(), 0));
                }
            });
            return new Compared(
                    new Result(
                            cluster.id(),
                            name,
                            plan.targetRevision(),
                            time,
                            plan.base().snapshotId(),
                            List.copyOf(changes.values()),
                            dryRun,
                            List.of(),
                            List.of(),
                            id),
                    then);
        });
    }

    /** Each key in its own transaction, guarded by what was read: a key changed since is skipped, not overwritten. */
    private Result apply(ClusterSpec cluster, Compared comparison) throws Exception {
        // a resumed operation has no comparison: apply is never resumed blind, the whole restore runs again
        if (comparison == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "the comparison is gone (the service restarted): run the restore again");
        }
        Result compared = comparison.result();
        Map<ByteSequence, ByteSequence> then = comparison.values();
        List<String> applied = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        try (Client live = clients.dedicated(cluster, 64 << 20)) {
            for (Change c : compared.changes()) {
                ByteSequence k = bytes(c.key());
                Cmp guard = "CREATE".equals(c.action())
                        ? new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0))
                        : new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(c.liveModRevision()));
                Op write = "DELETE".equals(c.action())
                        ? Op.delete(k, DeleteOption.DEFAULT)
                        : Op.put(k, then.get(k), PutOption.DEFAULT);
                boolean done = live.getKVClient()
                        .txn()
                        .If(guard)
                        .Then(write)
                        .commit()
                        .get(30, TimeUnit.SECONDS)
                        .isSucceeded();
                (done ? applied : skipped).add(c.action() + " " + c.key());
                if (done) {
                    Failpoints.hit("prefix.applied-key");
                }
            }
        }
        LOG.info(
                "prefix {} of {} restored to revision {}: {} written, {} skipped {}",
                compared.prefix(),
                cluster.id(),
                compared.revision(),
                applied.size(),
                skipped.size(),
                skipped);
        return new Result(
                compared.clusterId(),
                compared.prefix(),
                compared.revision(),
                compared.revisionTime(),
                compared.baseSnapshotId(),
                compared.changes(),
                false,
                applied,
                skipped,
                compared.operationId());
    }

    private static List<KeyValue> range(Client client, ByteSequence prefix) throws Exception {
        return client.getKVClient()
                .get(prefix, GetOption.builder().isPrefix(true).build())
                .get(60, TimeUnit.SECONDS)
                .getKvs();
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static String text(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }
}
