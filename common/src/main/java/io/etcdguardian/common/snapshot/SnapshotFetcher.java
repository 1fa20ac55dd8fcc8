package io.etcdguardian.common.snapshot;

import com.github.luben.zstd.ZstdInputStream;
import io.etcdguardian.common.digest.Sha256;
import io.etcdguardian.common.digest.TrailerDigest;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.common.store.SnapshotStores;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * Brings a committed snapshot back to a local file as etcd wrote it: download, decrypt, decompress,
 * and check its SHA-256 trailer again and against the manifest — the last link of the integrity
 * chain before anything is restored from it.
 */
@Singleton
public class SnapshotFetcher {
    private final SnapshotStores stores;
    private final EncryptionKeys keys;

    public SnapshotFetcher(SnapshotStores stores, EncryptionKeys keys) {
        this.stores = stores;
        this.keys = keys;
    }

    public Path fetch(ClusterSpec cluster, SnapshotManifest manifest, Path target) {
        return fetch(cluster, manifest, target, bytes -> {});
    }

    /**
     * The backup set's {@code static_kuberesources} tarball as {@code cluster-restore.sh} reads it:
     * downloaded, decrypted and checked against the manifest's SHA-256; NOT_FOUND for a snapshot without one.
     */
    public Path fetchStaticResources(ClusterSpec cluster, SnapshotManifest manifest, Path target) {
        SnapshotManifest.StaticResources resources = manifest.staticResources();
        if (resources == null) {
            throw new GuardianException(
                    Reason.NOT_FOUND,
                    "snapshot " + manifest.snapshotId() + " of " + cluster.id()
                            + " has no static_kuberesources tarball (not an OpenShift backup set)");
        }
        SnapshotEncryption encryption = encryption(cluster, manifest);
        java.security.MessageDigest sha256 = Sha256.newDigest();
        try (InputStream object = stores.of(cluster).open(resources.objectKey());
                InputStream plain = encryption == null
                        ? object
                        : encryption.decrypt(
                                object,
                                manifest.clusterId(),
                                SnapshotManifest.StaticResources.encryptedAs(manifest.snapshotId()));
                OutputStream out = new java.security.DigestOutputStream(new LocalCopy(target), sha256)) {
            plain.transferTo(out);
        } catch (LocalCopy.Failed e) {
            throw e.reason(target);
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "the static_kuberesources tarball of snapshot " + manifest.snapshotId() + " cannot be read back ("
                            + oneLine(e) + ")",
                    e);
        } catch (GuardianException e) {
            throw e;
        } catch (RuntimeException e) {
            throw StoreErrors.translate(
                    "download " + resources.objectKey(), cluster.store().bucket(), e);
        }
        String actual = Sha256.hex(sha256);
        if (!actual.equals(resources.sha256())) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "the static_kuberesources tarball of snapshot " + manifest.snapshotId() + " has SHA-256 " + actual
                            + " but its manifest says " + resources.sha256());
        }
        return target;
    }

    private SnapshotEncryption encryption(ClusterSpec cluster, SnapshotManifest manifest) {
        if (manifest.encryption() == null) {
            return null;
        }
        if (cluster.store().encryption() == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    "snapshot " + manifest.snapshotId() + " is encrypted with key "
                            + manifest.encryption().keyId() + " but the cluster has no key configured");
        }
        // the key it was written with, current or replaced since: a rotation keeps older snapshots restorable
        return keys.snapshotKeys(cluster)
                .orElseThrow()
                .require(manifest.encryption().keyId(), "snapshot " + manifest.snapshotId());
    }

    /**
     * The database against what the manifest says of it (as {@code etcdutl snapshot status} reads it):
     * a manifest edited after the commit — a revision, a key count, a hash — is caught here, before a
     * restore touches anything. Manifests that do not record the bbolt hash (older fixtures) are not compared.
     */
    private static void matchesManifest(SnapshotManifest manifest, Path db) {
        if (manifest.boltHash() == null) {
            return;
        }
        BoltStats stats;
        try {
            stats = BoltStats.read(db);
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "snapshot " + manifest.snapshotId() + " is not a readable bbolt file: " + e.getMessage(),
                    e);
        }
        if (stats.revision() != manifest.revision()
                || stats.totalKeys() != manifest.totalKeys()
                || !stats.hash().equals(manifest.boltHash())) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "snapshot " + manifest.snapshotId() + " holds revision "
                            + stats.revision() + ", " + stats.totalKeys() + " keys, hash " + stats.hash()
                            + "; its manifest says "
                            + manifest.revision() + ", " + manifest.totalKeys() + ", " + manifest.boltHash());
        }
    }

    /** Tink's messages span lines; an event's detail and a CLI error read better on one. */
    private static String oneLine(Exception e) {
        return String.valueOf(e.getMessage()).replaceAll("\\s*\\n\\s*", " ");
    }

    /** As {@link #fetch(ClusterSpec, SnapshotManifest, Path)}, telling {@code fetched} the raw bytes written so far. */
    public Path fetch(ClusterSpec cluster, SnapshotManifest manifest, Path target, LongConsumer fetched) {
        SnapshotEncryption encryption = encryption(cluster, manifest);
        TrailerDigest digest;
        java.security.MessageDigest storedDigest = Sha256.newDigest();
        try (InputStream object = new java.security.DigestInputStream(
                        stores.of(cluster).open(manifest.objectKey()), storedDigest);
                InputStream plain = encryption == null
                        ? object
                        : encryption.decrypt(object, manifest.clusterId(), manifest.snapshotId());
                InputStream raw = "zstd".equals(manifest.compression()) ? new ZstdInputStream(plain) : plain;
                OutputStream out = new LocalCopy(target)) {
            digest = new TrailerDigest(out);
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            for (int n; (n = raw.read(buffer)) > 0; ) {
                digest.write(buffer, 0, n);
                total += n;
                fetched.accept(total);
            }
            object.transferTo(OutputStream.nullOutputStream()); // anything after the end the decoders stopped at
        } catch (LocalCopy.Failed e) {
            throw e.reason(target);
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "snapshot " + manifest.snapshotId() + " cannot be read back ("
                            + e.getClass().getSimpleName() + ": " + oneLine(e) + ")",
                    e);
        } catch (GuardianException e) {
            throw e;
        } catch (RuntimeException e) {
            throw StoreErrors.translate(
                    "download " + manifest.objectKey(), cluster.store().bucket(), e);
        }
        String stored = Sha256.hex(storedDigest);
        if (manifest.storedSha256() != null && !stored.equals(manifest.storedSha256())) {
            // the object as stored, every byte: a change the decoders would let through (a zstd header field,
            // appended bytes) is still a change
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED,
                    "snapshot " + manifest.snapshotId() + "'s object has" + " SHA-256 " + stored
                            + " as stored, its manifest says " + manifest.storedSha256());
        }
        try {
            String sha256 = digest.check();
            if (!sha256.equals(manifest.sha256())) {
                throw new GuardianException(
                        Reason.INTEGRITY_FAILED,
                        "snapshot " + manifest.snapshotId() + " has SHA-256 " + sha256 + " but its manifest says "
                                + manifest.sha256());
            }
        } catch (TrailerDigest.IntegrityException e) {
            throw new GuardianException(
                    Reason.INTEGRITY_FAILED, "snapshot " + manifest.snapshotId() + ": " + e.getMessage());
        }
        matchesManifest(manifest, target);
        return target;
    }

    /**
     * The local file a fetch writes: its failures (a full spool disk) are told apart from those of
     * reading the object, which are the snapshot's — a full disk is not a corrupt snapshot.
     */
    private static final class LocalCopy extends java.io.FilterOutputStream {
        LocalCopy(Path target) throws IOException {
            super(Files.newOutputStream(target));
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw new Failed(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw new Failed(e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } catch (IOException e) {
                throw new Failed(e);
            }
        }

        static final class Failed extends IOException {
            private static final long serialVersionUID = 1L;

            Failed(IOException cause) {
                super(cause.getMessage(), cause);
            }

            GuardianException reason(Path target) {
                return new GuardianException(
                        Reason.PRECONDITION_FAILED,
                        true,
                        "cannot write the copy to " + target + " (" + getMessage()
                                + "): free room there, then try again",
                        this);
            }
        }
    }
}
