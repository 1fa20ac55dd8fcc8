package io.etcdguardian.common.fleet;

/**
 * The separate bucket/prefix and credentials for encryption-key bundles, never beside the snapshots;
 * {@code encryption}: the key bundles are sealed with before upload, never the snapshots' key.
 */
public record KeyStoreSpec(
        String bucket, String prefix, String endpoint, String credentialsFile, EncryptionSpec encryption) {
    public KeyStoreSpec(String bucket, String prefix, String endpoint, String credentialsFile) {
        this(bucket, prefix, endpoint, credentialsFile, null);
    }

    public String prefixOrEmpty() {
        return StoreSpec.directory(prefix);
    }
}
