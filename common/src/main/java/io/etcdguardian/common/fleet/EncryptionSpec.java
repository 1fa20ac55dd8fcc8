package io.etcdguardian.common.fleet;

/**
 * Client-side encryption of snapshots: {@code keyFile} holds a base64 AES-256 key (32 bytes, the
 * format of etcd's own aescbc keys); {@code keyId} names it in manifests (default: a fingerprint).
 */
public record EncryptionSpec(String keyFile, String keyId) {}
