package io.etcdguardian.common.snapshot;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.EncryptionSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Streaming client-side encryption: Tink's AES-256-GCM-HKDF in 1 MiB segments, each authenticated,
 * so multi-GiB snapshots encrypt and decrypt in constant memory and a truncated or reordered
 * ciphertext fails. The associated data binds a ciphertext to its cluster and snapshot id.
 */
public final class SnapshotEncryption {
    public static final String ALGORITHM = "AES256_GCM_HKDF_1MB";
    private static final int SEGMENT = 1 << 20;

    private final AesGcmHkdfStreaming aead;
    private final String keyId;
    private final String fingerprint;

    private SnapshotEncryption(byte[] key, String keyId, String fingerprint) throws GeneralSecurityException {
        this.aead = new AesGcmHkdfStreaming(key, "HmacSha256", 32, SEGMENT, 0);
        this.keyId = keyId;
        this.fingerprint = fingerprint;
    }

    /** Reads the key file named by the spec; the key stays in memory only. */
    public static SnapshotEncryption fromSpec(EncryptionSpec spec) {
        try {
            return fromBase64(Files.readString(Path.of(spec.keyFile())), spec.keyId(), "key file " + spec.keyFile());
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INVALID_CONFIG,
                    "cannot read key file " + spec.keyFile() + " ("
                            + e.getClass().getSimpleName() + ")",
                    e);
        }
    }

    /** A base64 AES-256 key from {@code where} (named in errors, the key never is). */
    public static SnapshotEncryption fromBase64(String base64, String keyId, String where) {
        byte[] key = null;
        try {
            key = Base64.getDecoder().decode(base64.trim());
            if (key.length != 32) {
                throw new GuardianException(
                        Reason.INVALID_CONFIG,
                        where + " must hold a base64 AES-256 key (32 bytes), not " + key.length + " bytes");
            }
            String fingerprint = "sha256:"
                    + HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(key))
                            .substring(0, 16);
            return new SnapshotEncryption(key, keyId != null ? keyId : fingerprint, fingerprint);
        } catch (IllegalArgumentException e) {
            throw new GuardianException(Reason.INVALID_CONFIG, where + " is not base64", e);
        } catch (GeneralSecurityException e) {
            throw new GuardianException(Reason.INVALID_CONFIG, "unusable key in " + where, e);
        } finally {
            if (key != null) {
                Arrays.fill(key, (byte) 0);
            }
        }
    }

    public String keyId() {
        return keyId;
    }

    /** Which key this is, whatever it is called: two specs naming one key have the same fingerprint. */
    public String fingerprint() {
        return fingerprint;
    }

    public SnapshotManifest.Encryption describe() {
        return new SnapshotManifest.Encryption(ALGORITHM, keyId);
    }

    public OutputStream encrypt(OutputStream ciphertext, String clusterId, String snapshotId) {
        try {
            return aead.newEncryptingStream(ciphertext, associatedData(clusterId, snapshotId));
        } catch (GeneralSecurityException | IOException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot start encryption", e);
        }
    }

    public InputStream decrypt(InputStream ciphertext, String clusterId, String snapshotId) {
        try {
            return aead.newDecryptingStream(ciphertext, associatedData(clusterId, snapshotId));
        } catch (GeneralSecurityException e) {
            throw new GuardianException(Reason.INTEGRITY_FAILED, "cannot start decryption", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] associatedData(String clusterId, String snapshotId) {
        return ("etcd-guardian/" + clusterId + "/" + snapshotId).getBytes(StandardCharsets.UTF_8);
    }
}
