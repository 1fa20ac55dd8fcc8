package io.etcdguardian.snapshot.backupset;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/** Reads a static_kuberesources tarball's layout: checked when a node's upload is taken in, and by every drill. */
public final class StaticResourcesLayout {
    private StaticResourcesLayout() {}

    /**
     * The revision directories the tarball holds: exactly one {@code static-pod-resources/<name>-pod-<n>}
     * per static pod and nothing beside them, or it is not what cluster-restore.sh expects.
     */
    public static List<String> of(Path tarball) throws IOException {
        Map<String, String> found = new java.util.LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        try (InputStream file = Files.newInputStream(tarball);
                TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                String[] parts = entry.getName().split("/");
                String resource = parts.length >= 2 && "static-pod-resources".equals(parts[0])
                        ? StaticResourcesScript.RESOURCES.stream()
                                .filter(r -> parts[1].matches(r + "-pod-\\d+"))
                                .findFirst()
                                .orElse(null)
                        : null;
                if (resource == null) {
                    unexpected.add(entry.getName());
                } else if (found.putIfAbsent(resource, parts[0] + "/" + parts[1]) != null
                        && !found.get(resource).equals(parts[0] + "/" + parts[1])) {
                    unexpected.add(entry.getName() + " (a second revision of " + resource + ")");
                }
            }
        }
        List<String> missing = StaticResourcesScript.RESOURCES.stream()
                .filter(r -> !found.containsKey(r))
                .toList();
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    true,
                    "the static-pod resources tarball is not"
                            + " cluster-backup.sh's layout: missing " + missing + ", unexpected "
                            + unexpected.stream().limit(5).toList(),
                    null);
        }
        return StaticResourcesScript.RESOURCES.stream().map(found::get).toList();
    }
}
