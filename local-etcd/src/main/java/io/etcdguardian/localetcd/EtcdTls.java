package io.etcdguardian.localetcd;

import java.nio.file.Path;

/** PEM files for a TLS etcd: the CA, the members' server pair, and a client pair for etcdctl and the services. */
public record EtcdTls(Path ca, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {}
