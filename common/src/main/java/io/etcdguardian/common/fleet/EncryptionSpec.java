package io.etcdguardian.common.fleet;

/**
 * Client-side encryption of snapshots, with a base64 AES-256 key (32 bytes, the format of etcd's own
 * aescbc keys) from exactly one provider: {@code keyFile}, or {@code secret} as
 * {@code namespace/name[:key]} (default data key "key") read from the service's own Kubernetes API.
 * {@code keyId} names it in manifests (default: a fingerprint).
 */
public record EncryptionSpec(String keyFile, String keyId, String secret) {
    public EncryptionSpec(String keyFile, String keyId) {
        this(keyFile, keyId, null);
    }
}
