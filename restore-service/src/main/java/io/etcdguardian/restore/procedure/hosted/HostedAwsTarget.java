package io.etcdguardian.restore.procedure.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.ControlPlaneKind;
import io.etcdguardian.common.fleet.KeyStoreSpec;
import io.etcdguardian.common.fleet.KubernetesSpec;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.snapshot.KeyBundles;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.procedure.RestoreTarget;
import io.etcdguardian.restore.stage.SnapshotStaging;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.inject.Singleton;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A hosted cluster on AWS (seed hosted-cluster-aws): etcd is restored only when the HostedCluster is
 * created, from {@code spec.etcd.managed.storage.restoreSnapshotURL} — so the restore creates it,
 * never patches a running one. The HostedCluster to create is the fleet's rendered manifest
 * ({@code restore.hostedClusterManifest}) or the one found, saved in the journal; one found is
 * deleted by an operator (a hand-over: the service does not delete clusters) and the restore resumed.
 * Before that: its {@code spec.secretEncryption.aescbc.activeKey} must hold the AES key that was the
 * active key at backup time (by digest, slot by slot, against the key bundle saved with the
 * snapshot; the key never leaves memory). Then stage the snapshot, create the HostedCluster with a
 * presigned URL of short expiry, and wait for the HostedControlPlane's EtcdSnapshotRestored.
 */
@Singleton
public class HostedAwsTarget implements RestoreTarget {
    static final String FOUND = "hostedcluster.found";

    private final KubernetesClients kubernetes;
    private final SnapshotStaging staging;
    private final KubernetesWaits waits;
    private final SnapshotStores stores;
    private final EncryptionKeys keys;

    public HostedAwsTarget(
            KubernetesClients kubernetes,
            SnapshotStaging staging,
            KubernetesWaits waits,
            SnapshotStores stores,
            EncryptionKeys keys) {
        this.kubernetes = kubernetes;
        this.staging = staging;
        this.waits = waits;
        this.stores = stores;
        this.keys = keys;
    }

    @Override
    public ControlPlaneKind kind() {
        return ControlPlaneKind.HOSTED_AWS;
    }

    @Override
    public List<RestoreStep> plan(RestoreRun run) {
        KubernetesSpec hc = HostedClusters.spec(run);
        KubernetesClient client = HostedClusters.client(kubernetes, run);
        String object = "hostedclusters.hypershift.openshift.io " + hc.namespace() + "/" + hc.name();
        String rendered =
                run.cluster().restore() == null ? null : run.cluster().restore().hostedClusterManifest();
        // decided once per restore: a resume after the operator deleted it must plan the same steps
        boolean found = Boolean.parseBoolean(run.remember(
                FOUND, String.valueOf(HostedClusters.resource(client, hc).get() != null)));
        if (!found && rendered == null && run.fact(HostedClusterManifest.FACT).isEmpty()) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "HostedCluster " + hc.namespace() + "/" + hc.name()
                            + " not found and no restore.hostedClusterManifest to create it from (the output of hcp create"
                            + " cluster aws --render)");
        }
        List<RestoreStep> steps = new ArrayList<>();
        steps.add(new RestoreStep(
                "save-hostedcluster",
                rendered != null
                        ? "read the HostedCluster to create from"
                                + " restore.hostedClusterManifest into the restore's journal"
                        : "save the HostedCluster as it is"
                                + " (spec, labels, annotations) into the restore's journal, to create it again",
                List.of(rendered != null ? "file " + rendered : object),
                r -> {
                    String manifest = r.remember(
                            HostedClusterManifest.FACT,
                            rendered != null
                                    ? HostedClusterManifest.fromRendered(java.nio.file.Path.of(rendered), hc)
                                    : HostedClusterManifest.fromLive(HostedClusters.require(client, hc)));
                    return "HostedCluster " + hc.namespace() + "/" + hc.name() + " to create: release "
                            + HostedClusterManifest.releaseVersion(manifest)
                                    .orElse("(no version in spec.release.image)");
                }));
        steps.add(new RestoreStep(
                "check-encryption-key",
                "the secret that spec.secretEncryption.aescbc.activeKey of"
                        + " the HostedCluster to create names must hold the key active at backup time"
                        + (run.overrides(RestoreRequested.RECREATE_ENCRYPTION_SECRET)
                                ? " (created from the key bundle when"
                                        + " missing: override recreate-encryption-secret)"
                                : ""),
                List.of(
                        "secrets " + hc.namespace() + " (activeKey)",
                        "key bundle " + run.manifest().keyBundleKey()),
                r -> checkKey(client, hc, r)));
        if (found) {
            steps.add(RestoreStep.manual(
                    "delete-hostedcluster",
                    "restoreSnapshotURL acts only when a HostedCluster is"
                            + " created: delete this one (HyperShift removes its control-plane namespace and etcd volumes;"
                            + " its NodePools go with it: save them first), then resume this restore (guardianctl restore "
                            + run.cluster().id() + " --resume " + run.restoreId() + ")",
                    List.of(
                            "oc get nodepools -n " + hc.namespace() + " -o yaml > nodepools-" + hc.name() + ".yaml",
                            "oc delete hostedcluster -n " + hc.namespace() + " " + hc.name() + " --wait")));
        }
        steps.add(new RestoreStep(
                "stage-snapshot",
                "upload the checked raw snapshot for HyperShift to fetch",
                List.of("object " + run.cluster().store().bucket() + "/" + staging.stagedKey(run)),
                r -> "staged " + staging.upload(r)));
        steps.add(new RestoreStep(
                "create-hostedcluster",
                "create the HostedCluster with"
                        + " spec.etcd.managed.storage.restoreSnapshotURL: a presigned URL (expires after"
                        + " guardian.restore.presign-expiry); refused when one exists already",
                List.of(object + " create, spec.etcd.managed.storage.restoreSnapshotURL=[<presigned URL>]"),
                r -> create(client, hc, r)));
        steps.add(new RestoreStep(
                "await-etcd-restored",
                "wait until the HostedControlPlane reports" + " EtcdSnapshotRestored",
                List.of("hostedcontrolplanes.hypershift.openshift.io " + HostedClusters.controlPlaneNamespace(hc) + "/"
                        + hc.name() + " status"),
                r -> {
                    waits.until(
                            "HostedControlPlane " + HostedClusters.controlPlaneNamespace(hc) + "/" + hc.name()
                                    + " EtcdSnapshotRestored",
                            () -> snapshotRestored(client, hc),
                            () -> String.valueOf(restoredCondition(client, hc).orElse(Map.of())));
                    return "etcd restored from the snapshot (EtcdSnapshotRestored)";
                }));
        steps.add(new RestoreStep(
                "cleanup",
                "delete the staged snapshot (the URL in the spec, which HyperShift"
                        + " keeps immutable, is dead after that and expired soon after)",
                List.of("object " + staging.stagedKey(run)),
                r -> {
                    staging.clean(r);
                    return "staged snapshot removed";
                }));
        return steps;
    }

    /** Created once: found again with this restore's mark it was created by an earlier attempt of it. */
    private String create(KubernetesClient client, KubernetesSpec hc, RestoreRun run) throws Exception {
        GenericKubernetesResource existing = HostedClusters.resource(client, hc).get();
        if (existing != null) {
            String mark = existing.getMetadata().getAnnotations() == null
                    ? null
                    : existing.getMetadata().getAnnotations().get(HostedClusterManifest.RESTORE_ANNOTATION);
            if (run.restoreId().equals(mark)) {
                return "created before this restore was resumed";
            }
            // no override: its etcd would ignore the URL, and the "restore" would change nothing
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "HostedCluster " + hc.namespace() + "/"
                            + hc.name()
                            + " exists and may already run etcd: restoreSnapshotURL acts only when the cluster is"
                            + " created; delete it (oc delete hostedcluster -n " + hc.namespace() + " " + hc.name()
                            + "), then resume");
        }
        // the key secret may have gone with the old HostedCluster, or never existed on this management cluster
        String key = checkKey(client, hc, run);
        GenericKubernetesResource manifest = HostedClusterManifest.parse(run.fact(HostedClusterManifest.FACT)
                .orElseThrow(() -> new GuardianException(Reason.INTERNAL, "no HostedCluster saved in the journal")));
        manifest.getMetadata()
                .setAnnotations(new LinkedHashMap<>(
                        manifest.getMetadata().getAnnotations() == null
                                ? Map.of()
                                : manifest.getMetadata().getAnnotations()));
        manifest.getMetadata().getAnnotations().put(HostedClusterManifest.RESTORE_ANNOTATION, run.restoreId());
        storage(manifest).put("restoreSnapshotURL", List.of(staging.presign(run).toString()));
        client.genericKubernetesResources(ControlPlane.HOSTED_CLUSTER)
                .inNamespace(hc.namespace())
                .resource(manifest)
                .create();
        return "HostedCluster " + hc.namespace() + "/" + hc.name() + " created with restoreSnapshotURL; " + key;
    }

    private static Optional<Map<String, Object>> restoredCondition(KubernetesClient client, KubernetesSpec hc) {
        GenericKubernetesResource hcp = client.genericKubernetesResources(ControlPlane.HOSTED_CONTROL_PLANE)
                .inNamespace(HostedClusters.controlPlaneNamespace(hc))
                .withName(hc.name())
                .get();
        return hcp == null
                ? Optional.empty()
                : ControlPlane.list(hcp.getAdditionalProperties(), "status", "conditions").stream()
                        .filter(c -> "EtcdSnapshotRestored".equals(c.get("type")))
                        .findFirst();
    }

    /** True once restored; a condition False with a failure reason stops the wait with HyperShift's message. */
    private static boolean snapshotRestored(KubernetesClient client, KubernetesSpec hc) {
        Optional<Map<String, Object>> condition = restoredCondition(client, hc);
        if (condition.isPresent()
                && "False".equals(condition.get().get("status"))
                && String.valueOf(condition.get().get("reason")).contains("Fail")) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "HyperShift could not restore the snapshot: "
                            + condition.get().get("reason") + ": "
                            + condition.get().get("message"));
        }
        return condition.isPresent() && "True".equals(condition.get().get("status"));
    }

    private String checkKey(KubernetesClient client, KubernetesSpec hc, RestoreRun run) throws Exception {
        GenericKubernetesResource found = HostedClusterManifest.parse(run.fact(HostedClusterManifest.FACT)
                .orElseThrow(() -> new GuardianException(Reason.INTERNAL, "no HostedCluster saved in the journal")));
        String type = ControlPlane.text(found.getAdditionalProperties(), "spec", "secretEncryption", "type");
        String keyName = ControlPlane.text(
                found.getAdditionalProperties(), "spec", "secretEncryption", "aescbc", "activeKey", "name");
        String bundleKey = run.manifest().keyBundleKey();
        if (!"aescbc".equals(type) || keyName == null) {
            if (bundleKey != null) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "the snapshot was taken with etcd encryption"
                                + " on, but the HostedCluster has no spec.secretEncryption.aescbc.activeKey");
            }
            return "no etcd encryption, none at backup time either";
        }
        if (bundleKey == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "the HostedCluster encrypts with " + keyName + " but no key bundle was saved with snapshot "
                            + run.manifest().snapshotId());
        }
        JsonNode saved =
                bundle(run.cluster(), run.manifest().snapshotId(), bundleKey).path("secrets");
        Secret secret =
                client.secrets().inNamespace(hc.namespace()).withName(keyName).get();
        String recreated = "";
        if (secret == null && run.overrides(RestoreRequested.RECREATE_ENCRYPTION_SECRET)) {
            secret = recreate(client, hc, keyName, saved);
            recreated = " (secret re-created from the key bundle)";
        }
        if (secret == null || secret.getData() == null || secret.getData().get("key") == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "secret " + hc.namespace() + "/" + keyName
                            + " (activeKey) is missing or has no 'key'"
                            + (secret == null
                                    ? ": create it with the key saved"
                                            + " at backup, or let the restore do it (--recreate-encryption-secret)"
                                    : ""));
        }
        String now = digest(secret.getData().get("key"));
        // slot by slot: what was the active key at backup must be the active key now (bundles from before
        // slots were recorded: any saved key)
        boolean slotted = false;
        for (JsonNode item : saved) {
            slotted |= item.has("slot");
        }
        for (JsonNode item : saved) {
            JsonNode key = item.path("data").path("key");
            boolean candidate = !slotted || "activeKey".equals(item.path("slot").asText());
            if (candidate && !key.isMissingNode() && digest(key.asText()).equals(now)) {
                return "activeKey " + keyName + " holds the key that was activeKey ("
                        + item.path("name").asText() + ") at backup" + recreated;
            }
        }
        for (JsonNode item : saved) {
            JsonNode key = item.path("data").path("key");
            if (slotted && !key.isMissingNode() && digest(key.asText()).equals(now)) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "activeKey " + keyName + " holds the key that"
                                + " was " + item.path("slot").asText() + " ("
                                + item.path("name").asText() + ") at backup, not"
                                + " the active one: point activeKey at a secret with the key saved as activeKey");
            }
        }
        throw new GuardianException(
                Reason.PRECONDITION_FAILED,
                "activeKey " + keyName + " is not the key the snapshot"
                        + " was taken with: restored data would be unreadable; point it at a secret with the saved key");
    }

    /** The activeKey secret as it was at backup, under the name the HostedCluster to create expects. */
    private static Secret recreate(KubernetesClient client, KubernetesSpec hc, String name, JsonNode saved) {
        for (JsonNode item : saved) {
            JsonNode key = item.path("data").path("key");
            if ("activeKey".equals(item.path("slot").asText()) && !key.isMissingNode()) {
                return client.secrets()
                        .inNamespace(hc.namespace())
                        .resource(new SecretBuilder()
                                .withNewMetadata()
                                .withName(name)
                                .withNamespace(hc.namespace())
                                .addToLabels("app.kubernetes.io/managed-by", "etcd-guardian")
                                .endMetadata()
                                .withType("Opaque")
                                .addToData("key", key.asText())
                                .build())
                        .create();
            }
        }
        throw new GuardianException(
                Reason.PRECONDITION_FAILED,
                "the key bundle records no activeKey to re-create " + hc.namespace() + "/" + name + " from");
    }

    private JsonNode bundle(ClusterSpec cluster, String snapshotId, String key) throws Exception {
        KeyStoreSpec store = cluster.store().keyStore();
        if (store == null) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "store.keyStore is not configured");
        }
        try (var in = stores.keyStore(cluster).open(key)) {
            return EventJson.MAPPER.readTree(KeyBundles.open(
                    keys.bundleKeys(cluster), cluster.id(), snapshotId, in.readAllBytes(), "key bundle " + key));
        } catch (GuardianException e) {
            throw e;
        } catch (RuntimeException e) {
            throw StoreErrors.translate("read the key bundle " + key, store.bucket(), e);
        }
    }

    private static String digest(String base64) throws Exception {
        byte[] key = Base64.getDecoder().decode(base64);
        return Base64.getEncoder()
                .encodeToString(MessageDigest.getInstance("SHA-256").digest(key));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> storage(GenericKubernetesResource r) {
        Map<String, Object> etcd =
                (Map<String, Object>) HostedClusters.spec(r).computeIfAbsent("etcd", k -> new LinkedHashMap<>());
        etcd.putIfAbsent("managementType", "Managed");
        Map<String, Object> managed = (Map<String, Object>) etcd.computeIfAbsent("managed", k -> new LinkedHashMap<>());
        return (Map<String, Object>) managed.computeIfAbsent("storage", k -> new LinkedHashMap<>());
    }
}
