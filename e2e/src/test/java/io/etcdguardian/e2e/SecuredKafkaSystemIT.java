package io.etcdguardian.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.KafkaCredentials;
import io.etcdguardian.cli.local.GuardianCtlLocal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The whole system on a secured broker, started the way an operator starts it
 * ({@code guardianctl local up --secure-kafka}): every service and guardianctl is its own Kafka user
 * over SASL_SSL, allowed only its ACLs. A backup, a defrag (its snapshot-first step is health-service's
 * own client) and a restore (restore-service's pre-restore snapshot) all complete; no service was
 * refused anything it needs; no password reaches a log; a client without credentials gets nothing.
 */
class SecuredKafkaSystemIT {
    private static final String CLUSTER = "local";

    @TempDir
    Path state;

    @Test
    void backupDefragAndRestoreWithAKafkaUserPerServiceAndNothingForAStranger() throws Exception {
        try {
            Guardianctl.Run up = ctl(
                    "local",
                    "up",
                    "--secure-kafka",
                    "--home",
                    Path.of("..").toAbsolutePath().normalize().toString());
            assertThat(up.exit()).isZero();
            Backplane backplane = Backplane.load(state).orElseThrow();
            assertThat(backplane.kafka().secured()).isTrue();

            try (Client etcd = Client.builder()
                    .endpoints(backplane.etcd().endpoints().toArray(String[]::new))
                    .build()) {
                for (int i = 0; i < 200; i++) {
                    etcd.getKVClient()
                            .put(bytes("/registry/secured/" + i), bytes("v" + i))
                            .get(10, TimeUnit.SECONDS);
                }
                Guardianctl.Run backup = ctl("backup", CLUSTER, "--timeout", "3m");
                assertThat(backup.exit())
                        .as("guardianctl's own user asks, snapshot-service's answers")
                        .isZero();
                assertThat(backup.out()).containsPattern("snapshot \\S+ of local: revision \\d+, \\d+ keys");

                Guardianctl.Run defrag = ctl("defrag", CLUSTER, "--timeout", "5m");
                assertThat(defrag.exit())
                        .as("health-service's snapshot-first client is authenticated too")
                        .isZero();
                assertThat(defrag.out()).containsPattern("snapshot +DONE").containsPattern("maintenance +COMPLETED");

                assertThat(ctl("snapshots", "verify", CLUSTER, "latest").exit())
                        .as("a restore wants a drilled snapshot")
                        .isZero();
                for (int i = 0; i < 50; i++) {
                    etcd.getKVClient().delete(bytes("/registry/secured/" + i)).get(10, TimeUnit.SECONDS);
                }
                Guardianctl.Run restore = ctl("restore", CLUSTER, "--yes", "--timeout", "5m");
                assertThat(restore.exit())
                        .as("restore-service reads its requests and asks for its snapshot")
                        .isZero();
                assertThat(restore.out()).contains("restore COMPLETED");
                assertThat(etcd.getKVClient()
                                .get(
                                        bytes("/registry/secured/"),
                                        GetOption.builder()
                                                .isPrefix(true)
                                                .withCountOnly(true)
                                                .build())
                                .get(10, TimeUnit.SECONDS)
                                .getCount())
                        .isEqualTo(200);
            }

            // no credentials: the TLS listener gives a stranger nothing, and nothing is published
            Guardianctl.Run stranger = ctl(
                    "backup", CLUSTER, "--bootstrap-servers", backplane.kafka().bootstrapServers(), "--timeout", "1m");
            assertThat(stranger.exit()).isEqualTo(3);

            // the secrets scan over the run: SCRAM passwords, the key stores' password, every private key body
            // (CA, broker, mTLS users) and the S3 secret key, in every log line, every record, every stored object
            KafkaCredentials credentials = backplane.kafka().credentials();
            List<String> secrets = new ArrayList<>(credentials.secretValues());
            secrets.add(backplane.s3().secretKey());
            SecretScan scan = new SecretScan(secrets);
            try (Stream<Path> files = Files.list(state.resolve("services"))) {
                for (Path log : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                    String text = Files.readString(log);
                    assertThat(text)
                            .as(log + ": refused nothing")
                            .doesNotContain("AuthorizationException")
                            .doesNotContain("AuthenticationException");
                    scan.lines(log.getFileName().toString(), text.lines().toList());
                }
            }
            scan.topics(backplane.kafka().bootstrapServers(), credentials.scramClient(KafkaCredentials.ADMIN));
            try (S3Client s3 = backplane.s3().client()) {
                for (var o : s3.listObjectsV2Paginator(b -> b.bucket(backplane.bucket()))
                        .contents()) {
                    scan.bytes(
                            o.key(),
                            s3.getObjectAsBytes(
                                            b -> b.bucket(backplane.bucket()).key(o.key()))
                                    .asByteArray());
                }
            }
            System.out.println(scan.summary());
            assertThat(scan.hits()).as(scan.summary()).isEmpty();
        } finally {
            ctl("local", "down");
        }
    }

    private Guardianctl.Run ctl(String... args) {
        return Guardianctl.run(
                GuardianCtlLocal.commandLine(),
                Stream.concat(Arrays.stream(args), Stream.of("--state", state.toString()))
                        .toArray(String[]::new));
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
