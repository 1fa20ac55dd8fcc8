package io.etcdguardian.restore.procedure.hosted;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.KubernetesSpec;
import io.etcdguardian.common.kubernetes.ControlPlane;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HostedCluster a hosted-aws restore creates: {@code restoreSnapshotURL} acts only when etcd
 * starts on an empty volume, i.e. when the HostedCluster is created (the seed edits the output of
 * {@code create cluster --render}). It comes from the fleet's {@code restore.hostedClusterManifest}
 * (that rendered output) or from the object that exists before the restore, saved in the restore's
 * journal before an operator deletes it. Kept as JSON in the journal ({@link #FACT}): the same object
 * on every resume, whatever the file or the cluster say later.
 */
public final class HostedClusterManifest {
    public static final String FACT = "hostedcluster.manifest";
    static final String RESTORE_ANNOTATION = "etcd-guardian.io/restore";
    private static final Pattern RELEASE_TAG = Pattern.compile(":(\\d+\\.\\d+\\.\\d+)(?:-[A-Za-z0-9_.]+)?$");

    private HostedClusterManifest() {}

    /** The manifest a restore of {@code cluster} would create now: journaled, else the rendered file. */
    public static Optional<String> toCreate(ClusterSpec cluster, Map<String, String> facts) {
        if (facts.get(FACT) != null) {
            return Optional.of(facts.get(FACT));
        }
        String rendered = cluster.restore() == null ? null : cluster.restore().hostedClusterManifest();
        return rendered == null ? Optional.empty() : Optional.of(fromRendered(Path.of(rendered), cluster.kubernetes()));
    }

    /**
     * The live object as it would be created again: what the API server and HyperShift own (status,
     * uid, resourceVersion, finalizers, a pause, an earlier restore URL) left out.
     */
    static String fromLive(GenericKubernetesResource live) {
        ObjectMeta meta = live.getMetadata();
        Map<String, String> annotations =
                new LinkedHashMap<>(meta.getAnnotations() == null ? Map.of() : meta.getAnnotations());
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        GenericKubernetesResource copy = parse(Serialization.asJson(live));
        copy.setMetadata(new ObjectMetaBuilder()
                .withName(meta.getName())
                .withNamespace(meta.getNamespace())
                .withLabels(meta.getLabels())
                .withAnnotations(annotations.isEmpty() ? null : annotations)
                .build());
        return withoutRestoreState(copy);
    }

    /** The HostedCluster document of a rendered file ({@code hcp create cluster aws --render}) naming this cluster. */
    static String fromRendered(Path file, KubernetesSpec hc) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "restore.hostedClusterManifest " + file + " cannot be read: " + e.getMessage());
        }
        List<HasMetadata> documents;
        try {
            documents = new KubernetesSerialization()
                    .unmarshal(
                            new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "restore.hostedClusterManifest " + file + " is not a Kubernetes manifest: " + e.getMessage());
        }
        return documents.stream()
                .filter(d -> "HostedCluster".equals(d.getKind())
                        && hc.name().equals(d.getMetadata().getName())
                        && hc.namespace().equals(d.getMetadata().getNamespace()))
                .findFirst()
                .map(d -> withoutRestoreState(
                        Serialization.unmarshal(Serialization.asJson(d), GenericKubernetesResource.class)))
                .orElseThrow(() -> new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        "restore.hostedClusterManifest " + file + " has no HostedCluster " + hc.namespace() + "/"
                                + hc.name()));
    }

    static GenericKubernetesResource parse(String json) {
        return Serialization.unmarshal(json, GenericKubernetesResource.class);
    }

    /** The release a HostedCluster created from {@code json} runs: the tag of spec.release.image (4.14.12-x86_64). */
    public static Optional<String> releaseVersion(String json) {
        String image = ControlPlane.text(parse(json).getAdditionalProperties(), "spec", "release", "image");
        Matcher m = image == null ? null : RELEASE_TAG.matcher(image);
        return m != null && m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** A created-paused HostedCluster would never start etcd; an old restore URL is replaced by the restore's. */
    @SuppressWarnings("unchecked")
    private static String withoutRestoreState(GenericKubernetesResource r) {
        Map<String, Object> spec = HostedClusters.spec(r);
        spec.remove("pausedUntil");
        if (ControlPlane.at(r.getAdditionalProperties(), "spec", "etcd", "managed", "storage")
                instanceof Map<?, ?> storage) {
            ((Map<String, Object>) storage).remove("restoreSnapshotURL");
        }
        r.getAdditionalProperties().remove("status");
        return Serialization.asJson(r);
    }
}
