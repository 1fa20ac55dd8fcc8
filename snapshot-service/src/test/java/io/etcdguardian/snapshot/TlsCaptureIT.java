package io.etcdguardian.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.LocalCertificates;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotFailed;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.localetcd.EtcdTls;
import io.micronaut.context.ApplicationContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Capture over TLS with client certificates, as every seed does it, from a real TLS etcd. */
@ExtendWith(BackplaneExtension.class)
class TlsCaptureIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String TLS = "tls-" + RUN;
    private static final String WRONG_CA = "wrongca-" + RUN;

    @TempDir
    static Path dir;

    static EtcdCluster etcd;
    static ApplicationContext context;
    static EventStream stream;

    @BeforeAll
    static void start(Backplane backplane) throws IOException {
        EtcdTls tls = LocalCertificates.issue(dir.resolve("pki"));
        EtcdTls other = LocalCertificates.issue(dir.resolve("other-pki"));
        etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0, tls).start();
        etcd.etcdctl("put", "/registry/tls", "over tls");
        Path credentials = SnapshotRequests.credentials(backplane, dir);
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                defaults:
                  store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                  etcd:
                    endpoints: [%s]
                    tls: { ca: %s, cert: %s, key: %s }
                    requestTimeout: 3s
                clusters:
                  - id: %s
                  - id: %s
                    etcd: { tls: { ca: %s } }
                """.formatted(
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        credentials,
                        String.join(", ", etcd.endpoints()),
                        tls.ca(),
                        tls.clientCert(),
                        tls.clientKey(),
                        TLS,
                        WRONG_CA,
                        other.ca()));
        context = ApplicationContext.run(Map.of(
                "kafka.bootstrap.servers",
                backplane.kafka().bootstrapServers(),
                "guardian.fleet.file",
                fleet.toString(),
                "guardian.snapshot.group",
                "tls-" + RUN,
                "guardian.snapshot.spool-dir",
                dir.resolve("spool").toString(),
                "guardian.snapshot.attempts",
                1,
                "guardian.snapshot.drill.enabled",
                "false"));
        stream = new EventStream(backplane.kafka().bootstrapServers());
    }

    @AfterAll
    static void stop() {
        stream.close();
        context.close();
        etcd.stop();
    }

    @Test
    void capturesOverTlsWithAClientCertificate() {
        GuardianEvent outcome = SnapshotRequests.outcome(stream, TLS);
        assertThat(outcome).isInstanceOf(SnapshotCompleted.class);
        SnapshotCompleted done = (SnapshotCompleted) outcome;
        assertThat(done.member()).startsWith("https://127.0.0.1:");
        assertThat(done.totalKeys()).isGreaterThan(0);
    }

    @Test
    void aCaThatDoesNotMatchFailsWithAClearReason() {
        GuardianEvent outcome = SnapshotRequests.outcome(stream, WRONG_CA);
        assertThat(outcome).isInstanceOf(SnapshotFailed.class);
        SnapshotFailed failed = (SnapshotFailed) outcome;
        assertThat(failed.reason()).isEqualTo(Reason.ETCD_UNAVAILABLE);
        assertThat(failed.detail()).contains("no healthy voting member").containsIgnoringCase("certif");
    }
}
