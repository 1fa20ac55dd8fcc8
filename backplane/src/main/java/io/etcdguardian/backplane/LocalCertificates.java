package io.etcdguardian.backplane;

import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.EtcdTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Mints a throw-away CA, an etcd server pair for 127.0.0.1 and a client pair with openssl (P-256,
 * keys in PKCS#8 as etcd's tooling writes them), valid for two days: TLS etcd for the tests.
 */
public final class LocalCertificates {
    private LocalCertificates() {}

    public static EtcdTls issue(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(
                    dir.resolve("server.ext"),
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
            Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
            openssl(
                    dir,
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=etcd-guardian-test-ca");
            pair(dir, "server", "/CN=etcd");
            pair(dir, "client", "/CN=etcd-guardian");
            return new EtcdTls(
                    dir.resolve("ca.crt"),
                    dir.resolve("server.crt"),
                    dir.resolve("server.key"),
                    dir.resolve("client.crt"),
                    dir.resolve("client.key"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pair(Path dir, String name, String subject) {
        openssl(
                dir,
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                name + ".key",
                "-out",
                name + ".csr",
                "-subj",
                subject);
        openssl(
                dir,
                "x509",
                "-req",
                "-in",
                name + ".csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                name + ".crt",
                "-days",
                "2",
                "-extfile",
                name + ".ext");
    }

    private static void openssl(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        ChildProcess.runToCompletion(command, dir, dir.resolve("openssl.log"), Duration.ofSeconds(30));
    }
}
