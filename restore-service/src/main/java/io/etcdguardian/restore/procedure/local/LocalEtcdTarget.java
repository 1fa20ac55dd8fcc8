package io.etcdguardian.restore.procedure.local;

import io.etcdguardian.common.etcd.KeyCount;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fault.Failpoints;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.fleet.RestoreSpec;
import io.etcdguardian.localetcd.ChildReaper;
import io.etcdguardian.localetcd.EtcdBinaries;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.localetcd.EtcdMember;
import io.etcdguardian.restore.config.RestoreSettings;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.procedure.RestoreTarget;
import io.etcdguardian.restore.stage.SnapshotStaging;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A local etcd cluster (member processes on this machine, laid out by local-etcd under
 * {@code restore.localDir}): stop every member, move each data dir aside, `etcdctl snapshot restore`
 * each member under a new cluster token with the cluster's --initial-cluster, start them, and check
 * that the restored cluster holds the snapshot's revision and keys.
 */
@Singleton
public class LocalEtcdTarget implements RestoreTarget {
    private final SnapshotStaging staging;
    private final RestoreSettings settings;

    public LocalEtcdTarget(SnapshotStaging staging, RestoreSettings settings) {
        this.staging = staging;
        this.settings = settings;
    }

    @Override
    public ControlPlaneKind kind() {
        return ControlPlaneKind.LOCAL;
    }

    @Override
    public List<RestoreStep> plan(RestoreRun run) {
        EtcdCluster etcd = layout(run);
        String token = "restore-" + run.shortId();
        EtcdCluster restored = etcd.withToken(token);
        // the data is restored with the tools of the etcd the snapshot came from; the members run the cluster's own
        EtcdCluster restoring =
                restored.withBinaries(EtcdBinaries.dirFor(run.manifest().etcdVersion()));
        requireStartable(run, etcd, restoring);
        Path snapshot = staging.spoolFile(run);
        // names and addresses only: a process id changes with every start, and the plan must not
        List<String> members =
                etcd.members().stream().map(m -> m.name() + " " + m.clientUrl()).toList();
        List<String> restoreCommands = new ArrayList<>();
        for (int i = 0; i < etcd.members().size(); i++) {
            EtcdMember m = etcd.members().get(i);
            restoreCommands.add("mv " + m.dataDir() + " " + aside(m, run));
            restoreCommands.add(String.join(" ", restoring.restoreCommand(i, snapshot, List.of())));
        }
        return List.of(
                new RestoreStep(
                        "fetch-snapshot",
                        "download, decrypt, decompress and check the SHA-256 of snapshot "
                                + run.manifest().snapshotId(),
                        List.of(snapshot.toString()),
                        r -> {
                            Path file = staging.fetch(r);
                            return Files.size(file) + " bytes checked into " + file;
                        }),
                new RestoreStep(
                                "stop-members",
                                "stop every member: nothing writes while data is replaced",
                                members,
                                r -> {
                                    List<String> stopped = new ArrayList<>();
                                    for (int i = 0; i < etcd.members().size(); i++) {
                                        etcd.process(i).pid().ifPresent(pid -> stopped.add("pid " + pid));
                                        etcd.stopMember(i);
                                    }
                                    return "stopped " + etcd.members().size() + " members " + stopped;
                                    // from restore-data on, a running member runs the restored data: start-members
                                    // started it
                                    // (a crash mid-start leaves some running), so it is no change to stop for
                                })
                        .holding(r -> r.done("restore-data")
                                ? java.util.Optional.empty()
                                : etcd.members().stream()
                                        .filter(m -> etcd.isMemberAlive(
                                                etcd.members().indexOf(m)))
                                        .map(m -> m.name() + " is running again")
                                        .reduce((a, b) -> a + ", " + b)),
                new RestoreStep(
                        "restore-data",
                        "move each data dir aside and restore it from the snapshot under" + " cluster token " + token,
                        restoreCommands,
                        r -> restoreData(r, etcd, restoring, snapshot)),
                new RestoreStep(
                        "start-members",
                        "start every member of the restored cluster and wait until healthy",
                        etcd.endpoints(),
                        r -> {
                            restored.save();
                            for (int i = 0; i < restored.members().size(); i++) {
                                restored.startMember(i);
                                // the members belong to the cluster, not to this service's process
                                restored.process(i).handle().ifPresent(ChildReaper::release);
                                Failpoints.hit("restore.start-members.member");
                            }
                            for (int i = 0; i < restored.members().size(); i++) {
                                restored.awaitHealthy(i);
                            }
                            return "started " + restored.endpoints();
                        }),
                new RestoreStep(
                        "verify",
                        "the restored cluster holds the snapshot's revision ("
                                + run.manifest().revision() + ") and keys ("
                                + run.manifest().liveKeys() + ")",
                        etcd.endpoints(),
                        r -> verify(r, restored)),
                new RestoreStep(
                        "cleanup",
                        "remove the spool copy"
                                + (settings.keepOldData()
                                        ? "; keep the old data dirs" + " for an operator"
                                        : " and the old data dirs"),
                        List.of(snapshot.getParent().toString()),
                        r -> {
                            staging.cleanSpool(r);
                            if (!settings.keepOldData()) {
                                etcd.members().forEach(m -> EtcdCluster.deleteRecursively(aside(m, r)));
                                return "removed the spool copy and the old data dirs";
                            }
                            return "removed the spool copy; old data kept in "
                                    + etcd.members().stream()
                                            .map(m -> aside(m, r).toString())
                                            .toList();
                        }));
    }

    /**
     * The members start the restored data with the cluster's own etcd: it can take data of its own minor
     * or the one before (an upgrade), never of a newer minor or two behind — etcd 3.6 given a data dir
     * restored by 3.4's tools panics at start ("member unknown"), with the old data already aside.
     */
    private static void requireStartable(RestoreRun run, EtcdCluster etcd, EtcdCluster restoring) {
        if (restoring.tools().equals(etcd.tools())) {
            return; // one etcd restores and starts the data
        }
        String runs = EtcdBinaries.versionIn(etcd.tools());
        String restores = EtcdBinaries.versionIn(restoring.tools());
        int gap = minorNumber(runs) - minorNumber(restores);
        if (gap < 0 || gap > 1) {
            throw new GuardianException(
                    Reason.VERSION_MISMATCH,
                    "the local cluster runs etcd " + runs + " and the"
                            + " snapshot would be restored with etcd " + restores + "'s tools (snapshot from "
                            + run.manifest().etcdVersion()
                            + "): etcd starts data of its own minor or the one before only;"
                            + " name the snapshot's minor in GUARDIAN_ETCD_BIN_DIRS or restore with a matching etcd");
        }
        if (gap > 0) {
            run.note("the snapshot is restored with etcd " + restores + "'s tools and started by the cluster's etcd "
                    + runs + ": an upgrade of the restored data by one minor");
        }
    }

    private static int minorNumber(String version) {
        String[] parts = EtcdBinaries.minor(version).split("\\.");
        return parts.length == 2 ? Integer.parseInt(parts[0]) * 100 + Integer.parseInt(parts[1]) : 0;
    }

    private static EtcdCluster layout(RestoreRun run) {
        RestoreSpec spec = run.cluster().restore();
        if (spec == null || spec.localDir() == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "cluster '" + run.cluster().id()
                            + "': restore.localDir must name the local etcd cluster's directory for target local");
        }
        try {
            return EtcdCluster.load(Path.of(spec.localDir()));
        } catch (RuntimeException e) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED, "cluster '" + run.cluster().id() + "': " + e.getMessage(), e);
        }
    }

    private static Path aside(EtcdMember member, RestoreRun run) {
        return member.dataDir().resolveSibling(member.dataDir().getFileName() + ".before-" + run.shortId());
    }

    /** Idempotent: the old data is moved aside once; a half-restored data dir is simply restored again. */
    private static String restoreData(RestoreRun run, EtcdCluster etcd, EtcdCluster restored, Path snapshot)
            throws IOException {
        for (int i = 0; i < etcd.members().size(); i++) {
            if (etcd.isMemberAlive(i)) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        etcd.members().get(i).name() + " is running: its data is not replaced under it");
            }
            EtcdMember member = etcd.members().get(i);
            Path aside = aside(member, run);
            if (!Files.exists(aside) && Files.exists(member.dataDir())) {
                Files.move(member.dataDir(), aside);
            }
            try {
                restored.restoreMember(i, snapshot, List.of());
            } catch (IllegalStateException e) {
                throw new GuardianException(
                        Reason.INTEGRITY_FAILED,
                        "snapshot restore failed for " + member.name() + ": " + e.getMessage(),
                        e);
            }
            Failpoints.hit("restore.restore-data.member");
        }
        return "restored " + etcd.members().size() + " data dirs (old ones kept beside them)";
    }

    private static String verify(RestoreRun run, EtcdCluster restored) throws Exception {
        KeyCount count = KeyCount.of(restored.endpoints(), Duration.ofSeconds(30));
        if (!run.manifest().heldBy(count)) {
            throw new GuardianException(Reason.INTEGRITY_FAILED, run.manifest().comparedWith(count));
        }
        return "revision " + count.revision() + ", " + count.keys() + " keys, as in the snapshot";
    }
}
