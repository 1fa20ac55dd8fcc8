package io.etcdguardian.snapshot.backupset;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.store.SnapshotStore;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One run of {@link StaticResourcesScript} on a control-plane node, shaped like the platform's own
 * {@code cluster-backup} Job (openshift-etcd, a master node, every taint tolerated, privileged,
 * system-node-critical). The upload URL reaches it through a Secret, never the Job's spec; Job and
 * Secret are deleted whichever way it ends.
 */
final class BackupSetJob {
    private static final String MANAGED_BY = "app.kubernetes.io/managed-by";

    private final KubernetesClient client;
    private final BackupSetSettings settings;
    private final String name;

    /** One Job per snapshot id: a retried attempt of the same snapshot finds (and replaces) its own. */
    BackupSetJob(KubernetesClient client, BackupSetSettings settings, String snapshotId) {
        this.client = client;
        this.settings = settings;
        this.name = "etcd-guardian-backup-" + snapshotId.toLowerCase(Locale.ROOT);
    }

    String name() {
        return name;
    }

    /** Runs it to success and returns the node it ran on (null when its pod is gone already). */
    String run(String image, SnapshotStore.PresignedPut upload) {
        delete(); // a Job left by an attempt that crashed would report that attempt's upload
        client.secrets()
                .inNamespace(settings.namespace())
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withNamespace(settings.namespace())
                        .addToLabels(MANAGED_BY, "etcd-guardian")
                        .endMetadata()
                        .addToStringData("url", upload.url().toString())
                        .addToStringData(
                                "headers",
                                upload.headers().entrySet().stream()
                                        .map(h -> h.getKey() + ": " + h.getValue())
                                        .collect(Collectors.joining("\n")))
                        .build())
                .create();
        client.batch()
                .v1()
                .jobs()
                .inNamespace(settings.namespace())
                .resource(job(image))
                .create();
        Instant deadline = Instant.now().plus(settings.timeout());
        while (true) {
            Job now = client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(settings.namespace())
                    .withName(name)
                    .get();
            if (now == null) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED, true, "job " + where() + " was deleted while it ran", null);
            }
            var status = now.getStatus();
            if (status != null && status.getSucceeded() != null && status.getSucceeded() > 0) {
                return node();
            }
            if (status != null && status.getFailed() != null && status.getFailed() > 0) {
                throw new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        true,
                        "job " + where() + " could not take the"
                                + " static-pod resources: "
                                + status.getConditions().stream()
                                        .map(c -> c.getReason() + ": " + c.getMessage())
                                        .toList()
                                + " (oc logs -n " + settings.namespace() + " job/" + name + ")",
                        null);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new GuardianException(
                        Reason.TIMEOUT,
                        true,
                        "job " + where() + " did not finish in "
                                + settings.timeout() + " (is a control-plane node schedulable? oc describe -n "
                                + settings.namespace() + " job/" + name + ")",
                        null);
            }
            sleep(settings.pollInterval());
        }
    }

    /** Job (with its pod) and Secret; quietly, what is gone is gone. */
    void delete() {
        try {
            client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(settings.namespace())
                    .withName(name)
                    .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
                    .delete();
            client.secrets().inNamespace(settings.namespace()).withName(name).delete();
        } catch (KubernetesClientException e) {
            org.slf4j.LoggerFactory.getLogger(BackupSetJob.class)
                    .warn("could not delete job/secret {}: {}", where(), e.getMessage());
        }
    }

    private String node() {
        return client.pods().inNamespace(settings.namespace()).withLabel("job-name", name).list().getItems().stream()
                .map(Pod::getSpec)
                .filter(s -> s != null && s.getNodeName() != null)
                .map(s -> s.getNodeName())
                .findFirst()
                .orElse(null);
    }

    private String where() {
        return settings.namespace() + "/" + name;
    }

    private Job job(String image) {
        Map<String, String> labels = Map.of("app", "etcd-guardian-backup", MANAGED_BY, "etcd-guardian");
        return new JobBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(settings.namespace())
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withBackoffLimit(0) // the snapshot's own retries decide, with a fresh URL each time
                .withActiveDeadlineSeconds(settings.timeout().toSeconds())
                .withTtlSecondsAfterFinished(3600)
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withServiceAccountName(settings.serviceAccount())
                .withPriorityClassName("system-node-critical")
                .addToNodeSelector("node-role.kubernetes.io/master", "")
                .addNewToleration()
                .withOperator("Exists")
                .endToleration()
                .addNewContainer()
                .withName("static-resources")
                .withImage(image)
                .withCommand("chroot", "/host", "/bin/bash", "-c", StaticResourcesScript.script())
                .addNewEnv()
                .withName("UPLOAD_URL")
                .withNewValueFrom()
                .withNewSecretKeyRef("url", name, false)
                .endValueFrom()
                .endEnv()
                .addNewEnv()
                .withName("UPLOAD_HEADERS")
                .withNewValueFrom()
                .withNewSecretKeyRef("headers", name, false)
                .endValueFrom()
                .endEnv()
                .withNewSecurityContext()
                .withPrivileged(true)
                .endSecurityContext()
                .addNewVolumeMount()
                .withName("host")
                .withMountPath("/host")
                .endVolumeMount()
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .endContainer()
                .addNewVolume()
                .withName("host")
                .withNewHostPath()
                .withPath("/")
                .withType("Directory")
                .endHostPath()
                .endVolume()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    private static void sleep(Duration interval) {
        try {
            Thread.sleep(interval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardianException(Reason.INTERNAL, "interrupted waiting for the static-pod resources", e);
        }
    }
}
