package io.etcdguardian.common.fleet;

/** The separate bucket/prefix and credentials for encryption-key bundles, never beside the snapshots. */
public record KeyStoreSpec(String bucket, String prefix, String endpoint, String credentialsFile) {}
