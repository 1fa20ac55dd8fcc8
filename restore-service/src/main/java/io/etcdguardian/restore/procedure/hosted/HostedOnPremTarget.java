package io.etcdguardian.restore.procedure.hosted;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.fleet.KubernetesSpec;
import io.etcdguardian.common.fleet.RestoreSpec;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.operation.SnapshotFirst;
import io.etcdguardian.common.snapshot.SnapshotCatalog;
import io.etcdguardian.restore.config.RestoreSettings;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.procedure.RestoreTarget;
import io.etcdguardian.restore.stage.SnapshotSources;
import io.etcdguardian.restore.stage.SnapshotStaging;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A hosted cluster's etcd StatefulSet on-prem (seed hosted-cluster-onprem): pause reconciliation,
 * scale the three API servers and then etcd to 0, delete the volumes of members 1..n-1, restore
 * member 0's volume with a Job that fetches the snapshot through a short-lived presigned URL (kept in
 * a Secret, not in the Job) and runs `etcdutl snapshot restore` with the flags of the seed, clean up,
 * scale etcd back and wait for every member, scale the API servers back, unpause. Replica counts and
 * the previous pause are journaled before they are changed, so a resumed restore puts back what was.
 */
@Singleton
public class HostedOnPremTarget implements RestoreTarget {
    static final List<String> API_SERVERS =
            List.of("kube-apiserver", "openshift-apiserver", "openshift-oauth-apiserver");
    static final String ETCD = "etcd";
    /** The seed's token: HyperShift's etcd members are configured with it. */
    static final String TOKEN = "etcd-cluster";

    private final KubernetesClients kubernetes;
    private final SnapshotStaging staging;
    private final KubernetesWaits waits;
    private final SnapshotFirst snapshots;
    private final SnapshotCatalog catalog;
    private final RestoreSettings settings;

    public HostedOnPremTarget(
            KubernetesClients kubernetes,
            SnapshotStaging staging,
            KubernetesWaits waits,
            SnapshotFirst snapshots,
            SnapshotCatalog catalog,
            RestoreSettings settings) {
        this.snapshots = snapshots;
        this.catalog = catalog;
        this.settings = settings;
        this.kubernetes = kubernetes;
        this.staging = staging;
        this.waits = waits;
    }

    @Override
    public ControlPlaneKind kind() {
        return ControlPlaneKind.HOSTED_ONPREM;
    }

    @Override
    public List<RestoreStep> plan(RestoreRun run) {
        KubernetesSpec hc = HostedClusters.spec(run);
        KubernetesClient client = HostedClusters.client(kubernetes, run);
        String ns = HostedClusters.controlPlaneNamespace(hc);
        String name = "guardian-restore-" + run.shortId();
        StatefulSet etcd =
                client.apps().statefulSets().inNamespace(ns).withName(ETCD).get();
        if (etcd == null) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "statefulset " + ns + "/" + ETCD + " not found");
        }
        int members = Integer.parseInt(run.fact("replicas.statefulset/etcd")
                .orElse(String.valueOf(etcd.getSpec().getReplicas())));
        boolean memberDb = SnapshotSources.memberDb(run.source());
        boolean writersStopped = SnapshotSources.writersStopped(run.source());
        String restoreScript = restoreScript(run, ns, members, image(run, etcd));
        List<RestoreStep> steps = new ArrayList<>();
        // nothing is destroyed before what replaces it is staged and checked (DESIGN §4.8); member 0's own
        // data is already in place
        RestoreStep stage = new RestoreStep(
                "stage-snapshot",
                "fetch the snapshot, check its SHA-256, and stage the" + " raw copy the Job will fetch",
                List.of("object " + run.cluster().store().bucket() + "/" + staging.stagedKey(run)),
                r -> "staged " + staging.upload(r) + " (" + r.manifest().sizeRaw() + " bytes, SHA-256 checked)");
        if (!memberDb && !writersStopped) {
            steps.add(stage);
        }
        Map<String, Integer> restoreTo = replicasToRestore(client, ns, run);
        HostedClusters.notePaused(client, hc, run);
        steps.add(new RestoreStep(
                        "pause-reconciliation",
                        "pause the HostedCluster so HyperShift does not undo the" + " steps",
                        List.of("hostedclusters.hypershift.openshift.io " + hc.namespace() + "/" + hc.name()
                                + " spec.pausedUntil=\"true\""),
                        r -> HostedClusters.pause(client, hc, r))
                // checked until the step before the one undoing it is done: a crash while it is being undone is
                // no outside change
                .holding(r -> r.done("start-api-servers")
                        ? java.util.Optional.empty()
                        : HostedClusters.changedFromPaused(client, hc)));
        steps.add(new RestoreStep(
                        "stop-api-servers",
                        "scale the API servers to 0: nothing writes to etcd",
                        API_SERVERS.stream()
                                .map(d -> "deployment " + ns + "/" + d + " replicas -> 0")
                                .toList(),
                        r -> API_SERVERS.stream()
                                .map(d -> scaleDeployment(client, ns, d, r, 0, restoreTo.get(d)))
                                .collect(Collectors.joining("; ")))
                .holding(r -> r.done("start-etcd")
                        ? java.util.Optional.empty()
                        : API_SERVERS.stream()
                                .filter(d -> replicas(client, ns, d) > 0)
                                .map(d -> "deployment " + ns + "/" + d + " is at " + replicas(client, ns, d)
                                        + " replicas again")
                                .reduce((a, b) -> a + ", " + b)));
        if (writersStopped) {
            steps.add(new RestoreStep(
                    "snapshot-writers-stopped",
                    "snapshot-service takes a snapshot of the running"
                            + " etcd now that nothing writes to it (the seed's \"snapshot the active member\"); it is what"
                            + " gets restored",
                    List.of("backup.requested.v1 PRE_RESTORE writers-stopped/" + run.restoreId() + ", waited for up to "
                            + settings.backupFirstTimeout()),
                    this::snapshotWritersStopped));
            steps.add(stage); // before etcd stops: nothing is destroyed before what replaces it is in place
        }
        steps.add(new RestoreStep(
                        "stop-etcd",
                        "scale etcd to 0 and wait until no member runs",
                        List.of("statefulset " + ns + "/" + ETCD + " replicas -> 0"),
                        r -> scaleEtcd(client, ns, r, 0))
                .holding(r -> {
                    StatefulSet now = client.apps()
                            .statefulSets()
                            .inNamespace(ns)
                            .withName(ETCD)
                            .get();
                    int replicas = now == null || now.getSpec().getReplicas() == null
                            ? 0
                            : now.getSpec().getReplicas();
                    return r.done("cleanup") || replicas == 0
                            ? java.util.Optional.empty()
                            : java.util.Optional.of(
                                    "statefulset " + ns + "/" + ETCD + " is at " + replicas + " replicas again");
                }));
        RestoreStep deleteVolumes = new RestoreStep(
                "delete-member-volumes",
                "delete the volumes of members 1.." + (members - 1) + ": they rejoin empty and sync from member 0",
                IntStream.range(1, members)
                        .mapToObj(i -> "persistentvolumeclaim " + ns + "/data-etcd-" + i)
                        .toList(),
                r -> {
                    for (int i = 1; i < members; i++) {
                        client.persistentVolumeClaims()
                                .inNamespace(ns)
                                .withName("data-etcd-" + i)
                                .delete();
                    }
                    return "deleted data-etcd-1..data-etcd-" + (members - 1);
                });
        if (!memberDb) {
            steps.add(deleteVolumes);
        }
        steps.add(new RestoreStep(
                "restore-member-0",
                memberDb
                        ? "a Job on member 0's volume restores member 0's own"
                                + " member/snap/db WITHOUT a hash check (--skip-hash-check: a data file has no trailer) into a new"
                                + " directory and swaps it in only once etcdutl succeeded"
                        : "a Job on member 0's volume fetches the"
                                + " staged snapshot through a presigned URL, restores it into a new directory and swaps it in only"
                                + " once etcdutl succeeded",
                memberDb
                        ? List.of("job " + ns + "/" + name + " on persistentvolumeclaim data-etcd-0: " + restoreScript)
                        : List.of(
                                "secret " + ns + "/" + name + " (the presigned URL)",
                                "job " + ns + "/" + name + " on persistentvolumeclaim data-etcd-0: " + restoreScript),
                r -> restoreJob(client, ns, name, restoreScript, etcd, r, memberDb)));
        if (memberDb) {
            // the other members' data goes only once member 0's restored cleanly: if its file was unusable,
            // they still hold theirs
            steps.add(deleteVolumes);
        }
        steps.add(new RestoreStep(
                "cleanup",
                memberDb ? "delete the Job" : "delete the Job, the Secret and the staged" + " snapshot",
                memberDb
                        ? List.of("job " + ns + "/" + name)
                        : List.of(
                                "job " + ns + "/" + name,
                                "secret " + ns + "/" + name,
                                "object " + staging.stagedKey(run)),
                r -> {
                    client.batch()
                            .v1()
                            .jobs()
                            .inNamespace(ns)
                            .withName(name)
                            .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
                            .delete();
                    if (memberDb) {
                        return "deleted job";
                    }
                    client.secrets().inNamespace(ns).withName(name).delete();
                    staging.clean(r);
                    return "deleted job, secret and staged snapshot";
                }));
        steps.add(new RestoreStep(
                "start-etcd",
                "scale etcd back and wait until every member is ready",
                List.of("statefulset " + ns + "/" + ETCD + " replicas -> " + members),
                r -> scaleEtcd(
                        client,
                        ns,
                        r,
                        Integer.parseInt(r.fact("replicas.statefulset/etcd").orElse(String.valueOf(members))))));
        steps.add(new RestoreStep(
                "start-api-servers",
                "scale the API servers back to their replicas",
                API_SERVERS.stream()
                        .map(d -> "deployment " + ns + "/" + d + " replicas -> " + restoreTo.get(d))
                        .toList(),
                r -> API_SERVERS.stream()
                        .map(d -> scaleDeployment(
                                client,
                                ns,
                                d,
                                r,
                                Integer.parseInt(
                                        r.fact("replicas.deployment/" + d).orElseThrow()),
                                null))
                        .collect(Collectors.joining("; "))));
        steps.add(new RestoreStep(
                "unpause-reconciliation",
                "give the HostedCluster back to HyperShift",
                List.of("hostedclusters.hypershift.openshift.io " + hc.namespace() + "/" + hc.name()
                        + " spec.pausedUntil -> as before"),
                r -> HostedClusters.unpause(client, hc, r)));
        return steps;
    }

    /**
     * A snapshot newer than the moment the API servers stopped (remembered: a resumed step asks for the
     * same), taken by snapshot-service as any other; the restore goes on with it.
     */
    private String snapshotWritersStopped(RestoreRun run) {
        java.time.Instant stopped = java.time.Instant.parse(
                run.remember("writers-stopped.at", java.time.Instant.now().toString()));
        String id = snapshots.ensure(
                run.cluster(),
                Trigger.PRE_RESTORE,
                "writers-stopped/" + run.restoreId(),
                stopped,
                settings.backupFirstTimeout(),
                "restore-service");
        run.useSnapshot(catalog.require(run.cluster(), id), SnapshotSources.TAKEN);
        return "snapshot " + id + " taken with the API servers stopped (revision "
                + run.manifest().revision() + ", " + run.manifest().totalKeys() + " keys)";
    }

    private static String image(RestoreRun run, StatefulSet etcd) {
        RestoreSpec spec = run.cluster().restore();
        if (spec != null && spec.etcdImage() != null) {
            return spec.etcdImage();
        }
        return run.fact("etcd.image")
                .orElse(etcd.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage());
    }

    /**
     * The seed's restore, run in member 0's volume; the trailer is checked (no --skip-hash-check: the
     * file is a real snapshot). It restores into a new directory and swaps it in only after etcdutl
     * succeeded, so a failed restore leaves member 0's data as it was; run again after a crash at any
     * line it reaches the same end (the old data moves aside, then goes once the new data is in place).
     */
    static String restoreScript(RestoreRun run, String ns, int members, String image) {
        boolean memberDb = SnapshotSources.memberDb(run.source());
        String initialCluster = IntStream.range(0, members)
                .mapToObj(i -> "etcd-" + i + "=" + peer(ns, i))
                .collect(Collectors.joining(","));
        List<String> bump = HostedClusters.bumpRevisionFlags(run.cluster().restore(), image);
        return "set -e; rm -rf /var/lib/data.restoring"
                // a copy: the restore never writes the file it reads, and a rerun after the swap finds it
                + (memberDb
                        ? "; [ -f /var/lib/restored.snap.db ] || cp /var/lib/data/member/snap/db"
                                + " /var/lib/restored.snap.db.part && mv /var/lib/restored.snap.db.part /var/lib/restored.snap.db"
                        : "")
                + "; etcdutl snapshot restore /var/lib/restored.snap.db" + (memberDb ? " --skip-hash-check" : "")
                + " --data-dir=/var/lib/data.restoring --name etcd-0 --initial-cluster-token=" + TOKEN
                + " --initial-cluster " + initialCluster + " --initial-advertise-peer-urls " + peer(ns, 0)
                + (bump.isEmpty() ? "" : " " + String.join(" ", bump))
                + "; if [ -d /var/lib/data ]; then rm -rf /var/lib/data.before-restore;"
                + " mv /var/lib/data /var/lib/data.before-restore; fi"
                + "; mv /var/lib/data.restoring /var/lib/data; rm -rf /var/lib/data.before-restore"
                + "; rm -f /var/lib/restored.snap.db";
    }

    private static String peer(String ns, int i) {
        return "https://etcd-" + i + ".etcd-discovery." + ns + ".svc:2380";
    }

    /**
     * "Put back what was" means the cluster's intended state: an API server found at 0 replicas (an
     * outage, someone's half-done recovery) would be put back at 0, so its count must come from the
     * request or the fleet — or the restore is refused before it touches anything.
     */
    private static Map<String, Integer> replicasToRestore(KubernetesClient client, String ns, RestoreRun run) {
        Map<String, Integer> restoreTo = new HashMap<>();
        for (String d : API_SERVERS) {
            Optional<String> recorded = run.fact("replicas.deployment/" + d);
            if (recorded.isPresent()) { // recorded before this restore scaled it: that is what goes back
                restoreTo.put(d, Integer.parseInt(recorded.get()));
                continue;
            }
            Deployment deployment =
                    client.apps().deployments().inNamespace(ns).withName(d).get();
            if (deployment == null) {
                throw new GuardianException(Reason.PRECONDITION_FAILED, "deployment " + ns + "/" + d + " not found");
            }
            int replicas = deployment.getSpec().getReplicas() == null
                    ? 1
                    : deployment.getSpec().getReplicas();
            if (replicas == 0) {
                replicas = run.intendedApiServerReplicas()
                        .orElseThrow(() -> new GuardianException(
                                Reason.PRECONDITION_FAILED,
                                "deployment " + ns + "/" + d + " was found at 0 replicas: say how"
                                        + " many it should run after the restore (--api-server-replicas N, or restore.apiServerReplicas"
                                        + " in the fleet) rather than restoring a stopped control plane"));
                run.note("deployment " + ns + "/" + d + " was found at 0 replicas; it gets " + replicas + " back");
            }
            restoreTo.put(d, replicas);
        }
        return restoreTo;
    }

    private static int replicas(KubernetesClient client, String ns, String name) {
        Deployment now =
                client.apps().deployments().inNamespace(ns).withName(name).get();
        return now == null || now.getSpec().getReplicas() == null
                ? 0
                : now.getSpec().getReplicas();
    }

    private String scaleDeployment(
            KubernetesClient client, String ns, String name, RestoreRun run, int replicas, Integer restoreTo) {
        Resource<Deployment> resource =
                client.apps().deployments().inNamespace(ns).withName(name);
        Deployment deployment = resource.get();
        if (deployment == null) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "deployment " + ns + "/" + name + " not found");
        }
        String before = run.remember(
                "replicas.deployment/" + name,
                String.valueOf(
                        restoreTo != null ? restoreTo : deployment.getSpec().getReplicas()));
        resource.edit(d -> new DeploymentBuilder(d)
                .editSpec()
                .withReplicas(replicas)
                .endSpec()
                .build());
        waits.until(
                "deployment " + ns + "/" + name + " at " + replicas + " ready replicas",
                () -> {
                    Deployment now = resource.get();
                    int ready = now.getStatus() == null || now.getStatus().getReadyReplicas() == null
                            ? 0
                            : now.getStatus().getReadyReplicas();
                    int running = now.getStatus() == null || now.getStatus().getReplicas() == null
                            ? 0
                            : now.getStatus().getReplicas();
                    return replicas == 0 ? running == 0 : ready >= replicas;
                },
                () -> String.valueOf(resource.get().getStatus()));
        return name + " " + before + " -> " + replicas;
    }

    private String scaleEtcd(KubernetesClient client, String ns, RestoreRun run, int replicas) {
        Resource<StatefulSet> resource =
                client.apps().statefulSets().inNamespace(ns).withName(ETCD);
        StatefulSet sts = resource.get();
        String before = run.remember(
                "replicas.statefulset/etcd", String.valueOf(sts.getSpec().getReplicas()));
        run.remember(
                "etcd.image",
                sts.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        resource.edit(s -> new StatefulSetBuilder(s)
                .editSpec()
                .withReplicas(replicas)
                .endSpec()
                .build());
        waits.until(
                "statefulset " + ns + "/etcd at " + replicas + " ready members",
                () -> {
                    StatefulSet now = resource.get();
                    int ready = now.getStatus() == null || now.getStatus().getReadyReplicas() == null
                            ? 0
                            : now.getStatus().getReadyReplicas();
                    int running = now.getStatus() == null || now.getStatus().getReplicas() == null
                            ? 0
                            : now.getStatus().getReplicas();
                    return replicas == 0 ? running == 0 && ready == 0 : ready >= replicas;
                },
                () -> String.valueOf(resource.get().getStatus()));
        return "etcd " + before + " -> " + replicas;
    }

    private String restoreJob(
            KubernetesClient client,
            String ns,
            String name,
            String script,
            StatefulSet etcd,
            RestoreRun run,
            boolean memberDb) {
        String key = memberDb ? "member 0's own member/snap/db" : staging.upload(run);
        if (!memberDb) {
            // a fresh URL on every attempt: a resumed restore must not rely on one that has expired
            client.secrets()
                    .inNamespace(ns)
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName(name)
                            .withNamespace(ns)
                            .addToLabels("app.kubernetes.io/managed-by", "etcd-guardian")
                            .endMetadata()
                            .addToStringData("url", staging.presign(run).toString())
                            .build())
                    .createOr(e -> e.update());
        }
        Resource<Job> job = client.batch().v1().jobs().inNamespace(ns).withName(name);
        if (job.get() == null) {
            client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(ns)
                    .resource(job(ns, name, script, image(run, etcd), memberDb))
                    .create();
        }
        waits.until(
                "job " + ns + "/" + name + " to restore member 0",
                () -> {
                    Job now = job.get();
                    if (now.getStatus() != null
                            && now.getStatus().getFailed() != null
                            && now.getStatus().getFailed() > now.getSpec().getBackoffLimit()) {
                        throw new GuardianException(
                                Reason.INTEGRITY_FAILED,
                                "job " + ns + "/" + name + " failed: "
                                        + now.getStatus().getConditions() + " (kubectl logs -n " + ns + " job/" + name
                                        + ")");
                    }
                    return now.getStatus() != null
                            && now.getStatus().getSucceeded() != null
                            && now.getStatus().getSucceeded() > 0;
                },
                () -> String.valueOf(job.get().getStatus()));
        return "member 0 restored from " + key + " by job " + name;
    }

    private static Job job(String ns, String name, String script, String image, boolean memberDb) {
        Map<String, String> labels =
                new HashMap<>(Map.of("app", "etcd-guardian-restore", "app.kubernetes.io/managed-by", "etcd-guardian"));
        var pod = new io.fabric8.kubernetes.api.model.PodSpecBuilder().withRestartPolicy("Never");
        if (!memberDb) {
            pod.addNewInitContainer()
                    .withName("fetch")
                    .withImage(image)
                    .withCommand("/bin/sh", "-c", "curl -fsS --retry 3 -o /var/lib/restored.snap.db \"$SNAPSHOT_URL\"")
                    .addNewEnv()
                    .withName("SNAPSHOT_URL")
                    .withNewValueFrom()
                    .withNewSecretKeyRef("url", name, false)
                    .endValueFrom()
                    .endEnv()
                    .addNewVolumeMount()
                    .withName("data")
                    .withMountPath("/var/lib")
                    .endVolumeMount()
                    .endInitContainer();
        }
        return new JobBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withBackoffLimit(1)
                .withTtlSecondsAfterFinished(86400)
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .endMetadata()
                .withSpec(pod.addNewContainer()
                        .withName("restore")
                        .withImage(image)
                        .withCommand("/bin/sh", "-c", script)
                        .addNewVolumeMount()
                        .withName("data")
                        .withMountPath("/var/lib")
                        .endVolumeMount()
                        .endContainer()
                        .addNewVolume()
                        .withName("data")
                        .withNewPersistentVolumeClaim("data-etcd-0", false)
                        .endVolume()
                        .build())
                .endTemplate()
                .endSpec()
                .build();
    }
}
