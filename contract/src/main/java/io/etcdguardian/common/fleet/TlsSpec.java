package io.etcdguardian.common.fleet;

/** PEM files as etcd's --trusted-ca-file, --cert-file and --key-file name them (key in PKCS#8). */
public record TlsSpec(String ca, String cert, String key) {}
