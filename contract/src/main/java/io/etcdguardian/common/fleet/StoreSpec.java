package io.etcdguardian.common.fleet;

/**
 * Where snapshots go. {@code credentialsFile} points at a properties file with {@code
 * accessKeyId}/{@code secretAccessKey}; without it the AWS default chain applies. {@code keyStore}
 * is the separate place for encryption-key bundles, with its own credentials; {@code encryption}
 * turns on client-side encryption of snapshots.
 */
public record StoreSpec(
        String bucket,
        String prefix,
        String region,
        String endpoint,
        String credentialsFile,
        String serverSideEncryption,
        String kmsKeyId,
        KeyStoreSpec keyStore,
        EncryptionSpec encryption) {
    public String regionOrDefault() {
        return region == null || region.isBlank() ? "us-east-1" : region;
    }

    public String prefixOrEmpty() {
        return directory(prefix);
    }

    /** A key prefix as a directory: empty, or ending in one slash. */
    static String directory(String prefix) {
        if (prefix == null || prefix.isBlank()) {
            return "";
        }
        return prefix.endsWith("/") ? prefix : prefix + "/";
    }
}
