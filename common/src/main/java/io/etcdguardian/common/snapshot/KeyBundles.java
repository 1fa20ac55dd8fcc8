package io.etcdguardian.common.snapshot;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The sealed form of an encryption-key bundle: one header line naming the format, the algorithm and
 * the key id ({@code etcd-guardian-key-bundle/1 AES256_GCM_HKDF_1MB <keyId>}), then the bundle
 * encrypted with that key, bound to its cluster and snapshot (moved to another name, it does not
 * open). Anything else — a plaintext JSON bundle planted in the key store, a truncated object — is
 * refused, never parsed.
 */
public final class KeyBundles {
    private static final String FORMAT = "etcd-guardian-key-bundle/1";

    private KeyBundles() {}

    /** The object key suffix of a sealed bundle. */
    public static final String SUFFIX = ".keys.json.enc";

    /** Where a cluster's bundles live in its key store: {@code <keyStore.prefix>/<cluster>/}. */
    public static String clusterPrefix(io.etcdguardian.common.fleet.ClusterSpec cluster) {
        return cluster.store().keyStore().prefixOrEmpty() + cluster.id() + "/";
    }

    public static String objectKey(io.etcdguardian.common.fleet.ClusterSpec cluster, String snapshotId) {
        return clusterPrefix(cluster) + snapshotId + SUFFIX;
    }

    /** The snapshot a bundle object belongs to, from its name (sealed or a legacy plaintext one). */
    public static java.util.Optional<String> snapshotIdOf(String objectKey) {
        String name = objectKey.substring(objectKey.lastIndexOf('/') + 1);
        for (String suffix : new String[] {SUFFIX, ".keys.json"}) {
            if (name.endsWith(suffix)) {
                return java.util.Optional.of(name.substring(0, name.length() - suffix.length()));
            }
        }
        return java.util.Optional.empty();
    }

    public static byte[] seal(Keyring keys, String clusterId, String snapshotId, byte[] bundle) {
        SnapshotEncryption key = keys.current();
        ByteArrayOutputStream sealed = new ByteArrayOutputStream(bundle.length + 256);
        try {
            sealed.write((FORMAT + " " + SnapshotEncryption.ALGORITHM + " " + key.keyId() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            try (OutputStream out = key.encrypt(sealed, clusterId, context(snapshotId))) {
                out.write(bundle);
            }
        } catch (IOException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot seal the key bundle", e);
        }
        return sealed.toByteArray();
    }

    public static byte[] open(Keyring keys, String clusterId, String snapshotId, byte[] sealed, String where) {
        int newline = -1;
        for (int i = 0; i < Math.min(sealed.length, 512); i++) {
            if (sealed[i] == '\n') {
                newline = i;
                break;
            }
        }
        String[] header =
                newline < 0 ? new String[0] : new String(sealed, 0, newline, StandardCharsets.UTF_8).split(" ");
        if (header.length != 3 || !header[0].equals(FORMAT) || !header[1].equals(SnapshotEncryption.ALGORITHM)) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    where + " is not a sealed key bundle (" + FORMAT + "): a plaintext or foreign bundle is refused");
        }
        SnapshotEncryption key = keys.require(header[2], where);
        try (InputStream in = key.decrypt(
                new ByteArrayInputStream(Arrays.copyOfRange(sealed, newline + 1, sealed.length)),
                clusterId,
                context(snapshotId))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    where + " does not open with key " + header[2] + " for " + clusterId + "/" + snapshotId
                            + " (tampered, or moved from another snapshot)",
                    e);
        }
    }

    private static String context(String snapshotId) {
        return snapshotId + "/key-bundle";
    }
}
