package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** An Alertmanager notification drives a real defragmentation; bad payloads get clear answers. */
@ExtendWith(BackplaneExtension.class)
class AlertmanagerWebhookIT {
    @TempDir
    Path dir;

    @Test
    void aFragmentationAlertDrivesADefragAndBadPayloadsGet4xx(Backplane backplane) throws Exception {
        String cluster = "alerted-" + UUID.randomUUID().toString().substring(0, 6);
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        String alert = """
                {"version":"4","status":"firing","receiver":"guardian","alerts":[
                  {"status":"firing","labels":{"alertname":"etcdDatabaseHighFragmentationRatio","cluster":"%s",
                   "severity":"warning"},"startsAt":"2026-11-23T06:00:00Z","fingerprint":"f00d%s"},
                  {"status":"firing","labels":{"alertname":"etcdMembersDown","cluster":"%s"},"fingerprint":"beef"}]}
                """.formatted(cluster, cluster, cluster);
        try (ApplicationContext context = HealthServiceUnderTest.start(
                        backplane, dir, cluster, etcd, "", Map.of("guardian.health.settle", "500ms"));
                HttpClient http =
                        HttpClient.create(context.getBean(EmbeddedServer.class).getURL());
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower progress = stream.follow(Topics.HEALTH_EVENTS)) {
            String token = HealthServiceUnderTest.alertmanagerToken(dir, cluster);
            HttpClientResponseException anonymous = Assertions.assertThrows(
                    HttpClientResponseException.class,
                    () -> http.toBlocking().exchange(HttpRequest.POST("/alertmanager", alert), Map.class));
            assertThat(anonymous.getStatus().getCode())
                    .as("Alertmanager's credentials are required")
                    .isEqualTo(401);
            HttpResponse<Map<String, Object>> accepted = http.toBlocking()
                    .exchange(
                            HttpRequest.POST("/alertmanager", alert).bearerAuth(token),
                            io.micronaut.core.type.Argument.mapOf(String.class, Object.class));
            assertThat(accepted.code()).isEqualTo(200);
            assertThat((List<?>) accepted.body().get("requested")).hasSize(1);
            assertThat((List<?>) accepted.body().get("ignored"))
                    .singleElement()
                    .asString()
                    .contains("etcdMembersDown");
            // Alertmanager repeats the notification: the same request id, done once
            http.toBlocking().exchange(HttpRequest.POST("/alertmanager", alert).bearerAuth(token), Map.class);

            MaintenanceProgress done = (MaintenanceProgress) progress.await(
                            e -> e instanceof MaintenanceProgress p
                                    && p.clusterId().equals(cluster)
                                    && p.step().equals("maintenance"),
                            Duration.ofSeconds(60))
                    .orElseThrow();
            assertThat(done.status()).isEqualTo(ProgressStatus.COMPLETED);
            assertThat(done.operationId()).isEqualTo(((List<?>) accepted.body().get("requested")).get(0));
            assertThat(HealthServiceUnderTest.outcomesBeforeSentinel(stream, progress, cluster))
                    .as("done once")
                    .isEmpty();

            HttpClientResponseException malformed = Assertions.assertThrows(
                    HttpClientResponseException.class,
                    () -> http.toBlocking()
                            .exchange(
                                    HttpRequest.POST("/alertmanager", "{\"alerts\": 3}")
                                            .bearerAuth(token),
                                    Map.class));
            assertThat(malformed.getStatus().getCode()).isEqualTo(400);
            HttpClientResponseException unknown = Assertions.assertThrows(
                    HttpClientResponseException.class,
                    () -> http.toBlocking()
                            .exchange(
                                    HttpRequest.POST("/alertmanager", alert.replace(cluster, "nobody"))
                                            .bearerAuth(token),
                                    Map.class));
            assertThat(unknown.getStatus().getCode()).isEqualTo(404);
            assertThat(unknown.getResponse()
                            .getBody(Map.class)
                            .orElseThrow()
                            .get("ignored")
                            .toString())
                    .contains("'nobody' names no fleet cluster");

            // both refusals are kept on the dead-letter topic with the reason
            assertThat(deadLetterReasons(backplane, "nobody")).contains("UNKNOWN_CLUSTER");
            assertThat(deadLetterReasons(backplane, "{\"alerts\": 3}")).contains("INVALID_EVENT");
        } finally {
            etcd.stop();
        }
    }

    /** The guardian.dlq.reason of every dead letter from the webhook whose payload contains {@code marker}. */
    private static List<String> deadLetterReasons(Backplane backplane, String marker) {
        java.util.Properties props = new java.util.Properties();
        props.put("bootstrap.servers", backplane.kafka().bootstrapServers());
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]>(
                props,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(Topics.DEAD_LETTER).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            java.util.List<String> reasons = new java.util.ArrayList<>();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    var topic = record.headers().lastHeader("guardian.dlq.topic");
                    if (topic != null
                            && new String(topic.value()).equals("http:/alertmanager")
                            && new String(record.value()).contains(marker)) {
                        reasons.add(new String(record.headers()
                                .lastHeader("guardian.dlq.reason")
                                .value()));
                    }
                }
                return !reasons.isEmpty();
            });
            return reasons;
        }
    }
}
