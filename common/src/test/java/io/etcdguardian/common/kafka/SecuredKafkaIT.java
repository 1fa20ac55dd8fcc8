package io.etcdguardian.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cloudevents.CloudEvent;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.KafkaCredentials;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secured broker with the project's ACL table ({@link TopicAccess}): each user does what the table
 * grants, over SCRAM and over mutual TLS alike, and nothing else; clients without valid credentials
 * get nothing at all.
 */
class SecuredKafkaIT {
    @TempDir
    static Path state;

    static Backplane backplane;

    @BeforeAll
    static void start() {
        backplane = Backplane.startOrReuse(
                state, new Backplane.Options(1, 0, "etcd-snapshots", true), TopicSpec.ofContract(), TopicAccess.acls());
    }

    @AfterAll
    static void stop() {
        if (backplane != null) {
            backplane.stop();
        }
    }

    @Test
    void eachUserDoesWhatTheTableGrantsAndNothingElse() {
        try (EventStream cli = scram(TopicAccess.CLI);
                EventStream snapshot = scram(TopicAccess.SNAPSHOT);
                EventStream restore = scram(TopicAccess.RESTORE);
                EventStream.Follower backupRequests = snapshot.follow(Topics.BACKUP_REQUESTS);
                EventStream.Follower restoreRequests = restore.follow(Topics.RESTORE_REQUESTS)) {
            CloudEvent backup = cli.publish(
                    "/guardian/guardianctl",
                    new BackupRequested("alpha", Trigger.ON_DEMAND, "acl test", "guardianctl", null, Instant.now()));
            assertThat(backupRequests.await(e -> e instanceof BackupRequested, Duration.ofSeconds(30)))
                    .as("snapshot-service reads what guardianctl asked")
                    .isPresent();
            cli.publish("/guardian/guardianctl", restoreRequest());
            assertThat(restoreRequests.await(e -> e instanceof RestoreRequested, Duration.ofSeconds(30)))
                    .as("restore-service reads restore requests")
                    .isPresent();
            assertThat(backup.getId()).isNotBlank();

            assertDenied(
                    () -> snapshot.publish("/guardian/snapshot-service", restoreRequest()),
                    "snapshot-service may not ask for a restore");
            assertDenied(
                    () -> snapshot.follow(Topics.RESTORE_REQUESTS), "snapshot-service may not read restore requests");
            try (EventStream health = scram(TopicAccess.HEALTH)) {
                assertDenied(
                        () -> health.follow(Topics.RESTORE_REQUESTS), "health-service may not read restore requests");
            }
            assertThat(cli.consumers(TopicAccess.RESTORE))
                    .as("guardianctl may see restore-service's group")
                    .isZero();
            assertDenied(() -> snapshot.consumers(TopicAccess.RESTORE), "nor may another service");
        }
        assertThatThrownBy(() ->
                        rawSend(backplane.kafka().credentials().scramClient(TopicAccess.CLI), Topics.FLEET_CONFIG))
                .as("nobody but the administrator rewrites the fleet")
                .hasRootCauseInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void mutualTlsIsTheSameUserWithTheSameGrants() {
        KafkaCredentials credentials = backplane.kafka().credentials();
        try (EventStream cli =
                new EventStream(backplane.kafka().mtlsBootstrapServers(), credentials.mtlsClient(TopicAccess.CLI))) {
            cli.publish(
                    "/guardian/guardianctl",
                    new BackupRequested("alpha", Trigger.ON_DEMAND, "mtls", "guardianctl", null, Instant.now()));
            assertDenied(() -> cli.follow(Topics.OPERATIONS), "guardianctl reads no operation records");
        }
        try (EventStream snapshot = new EventStream(
                backplane.kafka().mtlsBootstrapServers(), credentials.mtlsClient(TopicAccess.SNAPSHOT))) {
            assertDenied(() -> snapshot.publish("/guardian/x", restoreRequest()), "the certificate's CN is the user");
        }
        Map<String, String> noCertificate = new HashMap<>(credentials.mtlsClient(TopicAccess.CLI));
        noCertificate.keySet().removeIf(k -> k.startsWith("ssl.keystore"));
        try (EventStream anonymous = new EventStream(backplane.kafka().mtlsBootstrapServers(), noCertificate)) {
            assertThatThrownBy(() -> anonymous.publish("/guardian/x", restoreRequest()))
                    .as("TLS without a client certificate")
                    .isInstanceOf(GuardianException.class);
        }
    }

    @Test
    void clientsWithoutValidCredentialsGetNothing() {
        Map<String, String> wrongPassword =
                new HashMap<>(backplane.kafka().credentials().scramClient(TopicAccess.CLI));
        wrongPassword.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"guardianctl\" password=\"guess\";");
        try (EventStream guessing = new EventStream(backplane.kafka().bootstrapServers(), wrongPassword)) {
            assertDenied(() -> guessing.publish("/guardian/x", restoreRequest()), "a wrong SCRAM password");
        }
        try (EventStream plaintext = new EventStream(backplane.kafka().bootstrapServers())) {
            // the TLS listener never answers a plaintext client: it times out, it is not let in
            assertThatThrownBy(() -> plaintext.publish("/guardian/x", restoreRequest()))
                    .isInstanceOf(GuardianException.class)
                    .hasMessageContaining("cannot publish");
        }
    }

    private static EventStream scram(String user) {
        return new EventStream(
                backplane.kafka().bootstrapServers(), backplane.kafka().clientProperties(user));
    }

    private static RestoreRequested restoreRequest() {
        return new RestoreRequested(
                "alpha", "20260101T000000Z-00000001", "local", true, false, "acl test", null, null, List.of(), null);
    }

    private static void assertDenied(Runnable attempt, String what) {
        assertThatThrownBy(attempt::run)
                .as(what)
                .isInstanceOfSatisfying(
                        GuardianException.class,
                        e -> assertThat(e.reason())
                                .as(what + ": " + e.getMessage())
                                .isEqualTo(Reason.KAFKA_ACCESS_DENIED));
    }

    private static void rawSend(Map<String, String> client, String topic) throws Exception {
        Properties props = new Properties();
        props.putAll(client);
        props.put("bootstrap.servers", backplane.kafka().bootstrapServers());
        props.put("max.block.ms", "10000");
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "alpha", "{}".getBytes())).get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e;
        }
    }
}
