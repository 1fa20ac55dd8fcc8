package io.etcdguardian.common.fleet;

/**
 * Client-side encryption, with a base64 AES-256 key (32 bytes, the format of etcd's own aescbc keys)
 * from exactly one provider: {@code keyFile}, or {@code secret} as {@code namespace/name[:key]}
 * (default data key "key") read from the service's own Kubernetes API. {@code keyId} names it in
 * manifests (default: a fingerprint). {@code previous}: the keys it replaced, kept so that what was
 * encrypted with them still decrypts after a rotation (each object names its key id).
 */
public record EncryptionSpec(String keyFile, String keyId, String secret, java.util.List<EncryptionSpec> previous) {
    public EncryptionSpec {
        previous = previous == null ? java.util.List.of() : java.util.List.copyOf(previous);
    }

    public EncryptionSpec(String keyFile, String keyId, String secret) {
        this(keyFile, keyId, secret, null);
    }

    public EncryptionSpec(String keyFile, String keyId) {
        this(keyFile, keyId, null, null);
    }
}
