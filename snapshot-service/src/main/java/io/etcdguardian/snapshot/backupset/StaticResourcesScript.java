package io.etcdguardian.snapshot.backupset;

import java.util.List;

/**
 * What the node runs: the {@code backup_latest_kube_static_resources} half of the host's {@code
 * cluster-backup.sh} — for kube-apiserver, kube-controller-manager, kube-scheduler and etcd, the
 * static-pod-resources revision that the running static pod's manifest names, tarred relative to
 * {@code /etc/kubernetes} ({@code static-pod-resources/<name>-pod-<revision>/…}), which is what {@code
 * cluster-restore.sh} extracts — then uploads it through a presigned URL. The etcd snapshot is the
 * service's (a second one on the node would only double the load). Runs in the host's root, so it
 * needs only the host's bash, grep, tar and curl.
 */
public final class StaticResourcesScript {
    /** In cluster-backup.sh's order. */
    public static final List<String> RESOURCES =
            List.of("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd");

    private StaticResourcesScript() {}

    /**
     * Environment: {@code UPLOAD_URL}, {@code UPLOAD_HEADERS} (signed headers, one per line);
     * {@code CONFIG_FILE_DIR} (default {@code /etc/kubernetes}) and {@code WORK_DIR} (default
     * {@code /var/tmp}) only differ in tests. Exit 2: this node runs no such static pod.
     */
    public static String script() {
        return """
                set -euo pipefail
                umask 077
                CONFIG_FILE_DIR="${CONFIG_FILE_DIR:-/etc/kubernetes}"
                out="$(mktemp "${WORK_DIR:-/var/tmp}/etcd-guardian-static_kuberesources.XXXXXX")"
                trap 'rm -f "$out"' EXIT
                dirs=()
                for resource in %s; do
                  manifest="$CONFIG_FILE_DIR/manifests/$resource-pod.yaml"
                  if [ ! -f "$manifest" ]; then
                    echo "error finding manifests for the $resource pod ($manifest): is it running on this node?" >&2
                    exit 2
                  fi
                  latest=$(grep -o -m 1 "/etc/kubernetes/static-pod-resources/$resource-pod-[0-9]*" "$manifest") || true
                  if [ -z "$latest" ]; then
                    echo "error finding static-pod-resources for the $resource pod in $manifest" >&2
                    exit 2
                  fi
                  echo "found latest $resource: $latest"
                  dirs+=("${latest#/etc/kubernetes/}")
                done
                tar -cpzf "$out" -C "$CONFIG_FILE_DIR" "${dirs[@]}"
                headers=()
                while IFS= read -r header; do
                  if [ -n "$header" ]; then headers+=(-H "$header"); fi
                done <<< "${UPLOAD_HEADERS:-}"
                curl -fsS --retry 3 "${headers[@]}" -T "$out" "$UPLOAD_URL"
                echo "uploaded $(stat -c %%s "$out") bytes: ${dirs[*]}"
                """.formatted(String.join(" ", RESOURCES));
    }
}
