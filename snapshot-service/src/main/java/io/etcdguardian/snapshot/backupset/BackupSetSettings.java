package io.etcdguardian.snapshot.backupset;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * {@code guardian.snapshot.openshift-backup-set.*}: how an OpenShift snapshot gets its {@code
 * static_kuberesources} tarball — a Job on a control-plane node, as the platform's own backup runs.
 *
 * @param enabled off: OpenShift snapshots are etcd-only (cluster-restore.sh then needs a tarball from elsewhere)
 * @param image the Job's image (it only needs {@code chroot}); empty: the image of the cluster's etcd pods,
 *     which every control-plane node has already pulled (disconnected clusters included)
 * @param serviceAccount allowed to run privileged with the host's root mounted (the chart binds it to
 *     the privileged SCC), as the platform's cluster-backup Job is
 * @param stagedEncryption the node's upload is encrypted at rest (SSE) until it is taken in; off only for
 *     stores that cannot (S3Proxy's filesystem backend)
 */
@ConfigurationProperties("guardian.snapshot.openshift-backup-set")
public record BackupSetSettings(
        @Bindable(defaultValue = "true") boolean enabled,
        @Nullable String image,
        @Bindable(defaultValue = "openshift-etcd") String namespace,
        @Bindable(defaultValue = "etcd-guardian-backup") String serviceAccount,
        @Bindable(defaultValue = "5m") Duration timeout,
        @Bindable(defaultValue = "2s") Duration pollInterval,
        @Bindable(defaultValue = "true") boolean stagedEncryption) {

    public BackupSetSettings {
        require(timeout.compareTo(Duration.ofSeconds(10)) >= 0, "timeout", "must be at least 10s");
        require(!pollInterval.isNegative() && !pollInterval.isZero(), "poll-interval", "must be positive");
        require(namespace != null && !namespace.isBlank(), "namespace", "must not be empty");
    }

    private static void require(boolean ok, String property, String reason) {
        if (!ok) {
            throw new IllegalArgumentException("guardian.snapshot.openshift-backup-set." + property + ": " + reason);
        }
    }
}
