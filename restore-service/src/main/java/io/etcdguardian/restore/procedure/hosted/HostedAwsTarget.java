package io.etcdguardian.restore.procedure.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.error.Reason;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.KeyStoreSpec;
import io.etcdguardian.common.fleet.KubernetesSpec;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.etcdguardian.common.kubernetes.KubernetesClients;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.common.snapshot.EncryptionKeys;
import io.etcdguardian.common.snapshot.KeyBundles;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.restore.plan.RestoreRun;
import io.etcdguardian.restore.plan.RestoreStep;
import io.etcdguardian.restore.stage.SnapshotStaging;
import io.etcdguardian.restore.procedure.RestoreTarget;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.inject.Singleton;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hosted cluster on AWS (seed hosted-cluster-aws): etcd is restored when the HostedCluster is
 * created, from {@code spec.etcd.managed.storage.restoreSnapshotURL}. First prove that
 * {@code spec.secretEncryption.aescbc.activeKey} holds the AES key that was active at backup time
 * (compared with the key bundle saved beside the snapshot, by digest; the key never leaves memory),
 * then stage the snapshot and set a presigned URL of short expiry, wait for HyperShift to report
 * etcd available, and take the URL and the staged copy away again.
 */
@Singleton
public class HostedAwsTarget implements RestoreTarget {
    private final KubernetesClients kubernetes;
    private final SnapshotStaging staging;
    private final KubernetesWaits waits;
    private final SnapshotStores stores;
    private final EncryptionKeys keys;

    public HostedAwsTarget(KubernetesClients kubernetes, SnapshotStaging staging, KubernetesWaits waits,
                          SnapshotStores stores, EncryptionKeys keys) {
        this.kubernetes = kubernetes;
        this.staging = staging;
        this.waits = waits;
        this.stores = stores;
        this.keys = keys;
    }

    @Override
    public String kind() {
        return "hosted-aws";
    }

    @Override
    public List<RestoreStep> plan(RestoreRun run) {
        KubernetesSpec hc = HostedClusters.spec(run);
        KubernetesClient client = HostedClusters.client(kubernetes, run);
        String object = "hostedclusters.hypershift.openshift.io " + hc.namespace() + "/" + hc.name();
        return List.of(
                new RestoreStep("check-encryption-key", "spec.secretEncryption.aescbc.activeKey must hold the key"
                        + " active at backup time", List.of(object, "key bundle " + run.manifest().keyBundleKey()),
                        r -> checkKey(client, hc, r)),
                new RestoreStep("stage-snapshot", "upload the checked raw snapshot for HyperShift to fetch",
                        List.of("object " + run.cluster().store().bucket() + "/" + staging.stagedKey(run)), r -> {
                            GenericKubernetesResource found = HostedClusters.require(client, hc);
                            if (etcdAvailable(found)) { // no override: the URL would be ignored, the restore a no-op
                                throw new GuardianException(Reason.PRECONDITION_FAILED, "HostedCluster " + hc.namespace()
                                        + "/" + hc.name() + " already runs etcd: restoreSnapshotURL acts only when the"
                                        + " cluster is created; recreate it");
                            }
                            return "staged " + staging.upload(r);
                        }),
                new RestoreStep("set-restore-url", "set spec.etcd.managed.storage.restoreSnapshotURL to a presigned URL"
                        + " (expires after guardian.restore.presign-expiry)", List.of(object
                        + " spec.etcd.managed.storage.restoreSnapshotURL=[<presigned URL>]"), r -> {
                            String url = staging.presign(r).toString();
                            HostedClusters.resource(client, hc).edit(res -> {
                                storage(res).put("restoreSnapshotURL", List.of(url));
                                return res;
                            });
                            return "restoreSnapshotURL set";
                        }),
                new RestoreStep("await-etcd", "wait until HyperShift reports EtcdAvailable", List.of(object + " status"),
                        r -> {
                            waits.until("HostedCluster " + hc.name() + " EtcdAvailable",
                                    () -> etcdAvailable(HostedClusters.require(client, hc)),
                                    () -> String.valueOf(ControlPlane.list(HostedClusters.require(client, hc)
                                            .getAdditionalProperties(), "status", "conditions")));
                            return "etcd available";
                        }),
                new RestoreStep("cleanup", "remove the URL from the spec and delete the staged snapshot",
                        List.of(object + " spec.etcd.managed.storage.restoreSnapshotURL", "object " + staging.stagedKey(run)),
                        r -> {
                            HostedClusters.resource(client, hc).edit(res -> {
                                storage(res).remove("restoreSnapshotURL");
                                return res;
                            });
                            staging.clean(r);
                            return "removed";
                        }));
    }

    private String checkKey(KubernetesClient client, KubernetesSpec hc, RestoreRun run) throws Exception {
        GenericKubernetesResource found = HostedClusters.require(client, hc);
        String type = ControlPlane.text(found.getAdditionalProperties(), "spec", "secretEncryption", "type");
        String keyName = ControlPlane.text(found.getAdditionalProperties(), "spec", "secretEncryption", "aescbc",
                "activeKey", "name");
        String bundleKey = run.manifest().keyBundleKey();
        if (!"aescbc".equals(type) || keyName == null) {
            if (bundleKey != null) {
                throw new GuardianException(Reason.PRECONDITION_FAILED, "the snapshot was taken with etcd encryption"
                        + " on, but the HostedCluster has no spec.secretEncryption.aescbc.activeKey");
            }
            return "no etcd encryption, none at backup time either";
        }
        if (bundleKey == null) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "the HostedCluster encrypts with " + keyName
                    + " but no key bundle was saved with snapshot " + run.manifest().snapshotId());
        }
        Secret secret = client.secrets().inNamespace(hc.namespace()).withName(keyName).get();
        if (secret == null || secret.getData() == null || secret.getData().get("key") == null) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "secret " + hc.namespace() + "/" + keyName
                    + " (activeKey) is missing or has no 'key'");
        }
        String now = digest(secret.getData().get("key"));
        JsonNode saved = bundle(run.cluster(), run.manifest().snapshotId(), bundleKey).path("secrets");
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
                return "activeKey " + keyName + " holds the key that was activeKey (" + item.path("name").asText()
                        + ") at backup";
            }
        }
        for (JsonNode item : saved) {
            JsonNode key = item.path("data").path("key");
            if (slotted && !key.isMissingNode() && digest(key.asText()).equals(now)) {
                throw new GuardianException(Reason.PRECONDITION_FAILED, "activeKey " + keyName + " holds the key that"
                        + " was " + item.path("slot").asText() + " (" + item.path("name").asText() + ") at backup, not"
                        + " the active one: point activeKey at a secret with the key saved as activeKey");
            }
        }
        throw new GuardianException(Reason.PRECONDITION_FAILED, "activeKey " + keyName + " is not the key the snapshot"
                + " was taken with: restored data would be unreadable; point it at a secret with the saved key");
    }

    private JsonNode bundle(ClusterSpec cluster, String snapshotId, String key) throws Exception {
        KeyStoreSpec store = cluster.store().keyStore();
        if (store == null) {
            throw new GuardianException(Reason.PRECONDITION_FAILED, "store.keyStore is not configured");
        }
        try (var in = stores.keyStore(cluster).open(key)) {
            return EventJson.MAPPER.readTree(KeyBundles.open(keys.bundleKeys(cluster), cluster.id(), snapshotId,
                    in.readAllBytes(), "key bundle " + key));
        } catch (GuardianException e) {
            throw e;
        } catch (RuntimeException e) {
            throw StoreErrors.translate("read the key bundle " + key, store.bucket(), e);
        }
    }

    private static String digest(String base64) throws Exception {
        byte[] key = Base64.getDecoder().decode(base64);
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(key));
    }

    private static boolean etcdAvailable(GenericKubernetesResource hc) {
        return ControlPlane.list(hc.getAdditionalProperties(), "status", "conditions").stream()
                .anyMatch(c -> "EtcdAvailable".equals(c.get("type")) && "True".equals(c.get("status")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> storage(GenericKubernetesResource r) {
        Map<String, Object> etcd = (Map<String, Object>) HostedClusters.spec(r)
                .computeIfAbsent("etcd", k -> new LinkedHashMap<>());
        etcd.putIfAbsent("managementType", "Managed");
        Map<String, Object> managed = (Map<String, Object>) etcd.computeIfAbsent("managed", k -> new LinkedHashMap<>());
        return (Map<String, Object>) managed.computeIfAbsent("storage", k -> new LinkedHashMap<>());
    }
}
