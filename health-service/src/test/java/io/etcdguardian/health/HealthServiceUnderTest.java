package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.kafka.CompactedTopic;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.operation.OperationRecord;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** health-service for one test cluster: its fleet file, the topics it uses, and the running service. */
final class HealthServiceUnderTest {
    private HealthServiceUnderTest() {}

    /** Starts the service (with its HTTP server) watching {@code cluster} on {@code etcd}. */
    static ApplicationContext start(
            Backplane backplane,
            Path dir,
            String cluster,
            EtcdCluster etcd,
            String etcdExtra,
            Map<String, Object> settings) {
        return start(backplane, dir, cluster, etcd, etcdExtra, "", settings);
    }

    /** Followers are opened before the service starts, so the topics must exist first. */
    static void createTopics(Backplane backplane) {
        backplane.kafka().createTopics(TopicSpec.ofContract());
    }

    /** {@code clusterExtra}: more keys of the cluster's entry, each on a line of its own indented by 4. */
    static ApplicationContext start(
            Backplane backplane,
            Path dir,
            String cluster,
            EtcdCluster etcd,
            String etcdExtra,
            String clusterExtra,
            Map<String, Object> settings) {
        return ApplicationContext.run(
                        EmbeddedServer.class,
                        settings(backplane, dir, cluster, etcd, etcdExtra, clusterExtra, settings))
                .getApplicationContext();
    }

    /** The bearer token Alertmanager sends (role operate), issued with the service's settings. */
    static String alertmanagerToken(Path dir, String cluster) throws IOException {
        return Files.readString(dir.resolve(cluster + "-alertmanager.token"));
    }

    /** The service as a child process of this test (on its class path), to be killed like a real one. */
    static Process fork(Map<String, Object> settings, Path log) {
        return io.etcdguardian.backplane.ForkedService.start("io.etcdguardian.health.Application", settings, log);
    }

    static Map<String, Object> settings(
            Backplane backplane,
            Path dir,
            String cluster,
            EtcdCluster etcd,
            String etcdExtra,
            String clusterExtra,
            Map<String, Object> settings) {
        try {
            // the store holds the operation leases (no two defrags of a cluster across replicas); these tests are
            // not about S3, so it is a directory store (its conditional writes hold a file lock); e2e uses S3Proxy
            Path fleet = Files.writeString(dir.resolve(cluster + "-fleet.yaml"), """
                    clusters:
                      - id: %s
                        etcd: { endpoints: [%s]%s }
                        store: { bucket: %s, endpoint: "%s" }%s
                    """.formatted(
                            cluster,
                            String.join(", ", etcd.endpoints()),
                            etcdExtra,
                            backplane.bucket(),
                            dir.resolve("store").toUri(),
                            clusterExtra));
            createTopics(backplane);
            Map<String, Object> props = new HashMap<>(settings);
            props.putIfAbsent("guardian.health.snapshot-first", "false"); // no snapshot-service here: see e2e
            props.put("micronaut.server.port", -1);
            props.put("kafka.bootstrap.servers", backplane.kafka().bootstrapServers());
            props.put("guardian.fleet.file", fleet.toString());
            props.put("guardian.fleet.topic.enabled", "false");
            props.putIfAbsent("guardian.health.group", "health-" + cluster);
            Path tokens = dir.resolve(cluster + "-tokens");
            String alertmanager = io.etcdguardian.common.security.CallerTokens.writeFile(
                            tokens,
                            Map.of("alertmanager", java.util.Set.of(io.etcdguardian.common.security.Roles.OPERATE)))
                    .get("alertmanager");
            io.etcdguardian.common.security.OwnerOnlyFile.write(
                    dir.resolve(cluster + "-alertmanager.token"), alertmanager);
            props.put("guardian.security.tokens-file", tokens.toString());
            return props;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The operation's record in the journal as it is now, if it has one. */
    static Optional<OperationRecord> journaled(CompactedTopic journal, String id) {
        journal.reload();
        return journal.get(id).map(json -> {
            try {
                return EventJson.MAPPER.readValue(json, OperationRecord.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Overwrites a few keys with 256 KiB values: old revisions pile up until the quota is hit (NOSPACE). */
    static void fillUntilNospace(Client client) {
        byte[] value = new byte[256 * 1024];
        java.util.Arrays.fill(value, (byte) 'x');
        assertThatThrownBy(() -> {
                    for (int i = 0; i < 1000; i++) {
                        value[i % value.length] = (byte) i;
                        client.getKVClient()
                                .put(ByteSequence.from(("/fill/" + (i % 4)).getBytes()), ByteSequence.from(value))
                                .get();
                    }
                })
                .hasStackTraceContaining("database space exceeded");
    }

    /**
     * The maintenance outcomes the service publishes for {@code cluster} before answering a sentinel: a
     * request dated an hour ago, which the run that completed last answers SKIPPED at once. Requests of
     * one cluster are handled in order, so whatever the requests before it still had to say comes first.
     */
    static List<MaintenanceProgress> outcomesBeforeSentinel(
            EventStream stream, EventStream.Follower progress, String cluster) {
        String sentinel = stream.publish(
                        "/test",
                        new MaintenanceRequested(
                                cluster,
                                MaintenanceRequested.Action.DEFRAG,
                                "sentinel",
                                "test",
                                Instant.now().minus(Duration.ofHours(1))))
                .getId();
        List<GuardianEvent> seen = progress.until(
                e -> e instanceof MaintenanceProgress p
                        && p.operationId().equals(sentinel)
                        && p.step().equals("maintenance"),
                Duration.ofSeconds(120));
        assertThat(seen).as("the sentinel's outcome").isNotEmpty();
        return seen.stream()
                .filter(e -> e instanceof MaintenanceProgress p
                        && p.clusterId().equals(cluster)
                        && p.step().equals("maintenance")
                        && !p.operationId().equals(sentinel))
                .map(MaintenanceProgress.class::cast)
                .toList();
    }
}
