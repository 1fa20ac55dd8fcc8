package io.etcdguardian.restore;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** restore-service for a test: in this JVM, or as its own process that a test can kill -9. */
final class RestoreServiceUnderTest {
    private RestoreServiceUnderTest() {}

    static Path credentials(Backplane backplane, Path dir) throws IOException {
        return backplane.s3().writeCredentials(dir.resolve("s3.properties"));
    }

    /** A fleet of one cluster restored by the local target: the local etcd cluster in {@code etcd}'s directory. */
    static Path localFleet(Backplane backplane, Path dir, String cluster, EtcdCluster etcd) throws IOException {
        return Files.writeString(dir.resolve(cluster + "-fleet.yaml"), """
                clusters:
                  - id: %s
                    etcd: { endpoints: [%s] }
                    store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                    kubernetes: { kind: local }
                    restore: { localDir: %s }
                """.formatted(
                        cluster,
                        String.join(", ", etcd.endpoints()),
                        backplane.bucket(),
                        backplane.s3().endpoint(),
                        credentials(backplane, dir),
                        etcd.dir()));
    }

    static Map<String, String> settings(Backplane backplane, Path fleet, Path dir, String group) {
        backplane.kafka().createTopics(TopicSpec.ofContract());
        Map<String, String> props = new HashMap<>();
        props.put("kafka.bootstrap.servers", backplane.kafka().bootstrapServers());
        props.put("guardian.fleet.file", fleet.toString());
        props.put("guardian.fleet.topic.enabled", "false");
        props.put("guardian.restore.group", group);
        // a killed service's partitions move on after the session timeout, not after Kafka's default 45 s
        props.put("kafka.consumers." + group + ".session.timeout.ms", "6000");
        props.put("kafka.consumers." + group + ".heartbeat.interval.ms", "1000");
        props.put("guardian.restore.spool-dir", dir.resolve("spool").toString());
        props.put("guardian.restore.wait-interval", "100ms");
        props.put("guardian.restore.wait-timeout", "60s");
        // no snapshot-service in these tests: the pre-restore backup would only wait (the e2e test runs it)
        props.put("guardian.restore.backup-first", "false");
        // the shared S3Proxy's filesystem backend refuses server-side encryption (501); StagedCopiesIT runs
        // staging with it on, against S3Proxy's transient backend, which encrypts
        props.put("guardian.restore.staged-encryption", "false");
        return props;
    }

    /**
     * Shows the plan (a dry run) and applies exactly that plan with its digest — what guardianctl
     * restore does; returns the id of the restore that runs.
     */
    static String applyPlan(
            io.etcdguardian.common.kafka.EventStream stream,
            io.etcdguardian.common.kafka.EventStream.Follower events,
            io.etcdguardian.common.event.RestoreRequested request) {
        String dry = stream.publish("/test", request.planOnly()).getId();
        io.etcdguardian.common.event.RestorePlanned plan = (io.etcdguardian.common.event.RestorePlanned) events.await(
                        e -> e instanceof io.etcdguardian.common.event.RestorePlanned p
                                && p.restoreId().equals(dry),
                        java.time.Duration.ofSeconds(120))
                .orElseThrow(() -> new AssertionError("no plan for " + dry));
        return stream.publish("/test", request.applying(plan.planDigest())).getId();
    }

    static ApplicationContext start(Map<String, String> settings) {
        Map<String, Object> props = new HashMap<>(settings);
        props.put("micronaut.server.port", -1);
        return ApplicationContext.run(EmbeddedServer.class, props).getApplicationContext();
    }

    /** The service as a child process of this test, on this test's class path. */
    static Process fork(Map<String, String> settings, Path log) throws IOException {
        return fork(settings, log, io.etcdguardian.backplane.ForkedService.testJvm("256m"));
    }

    /** With the JVM options a benchmark measures under. */
    static Process fork(Map<String, String> settings, Path log, List<String> jvmOptions) throws IOException {
        Map<String, String> props = new HashMap<>(settings);
        props.put("micronaut.server.port", "-1");
        return io.etcdguardian.backplane.ForkedService.start(
                "io.etcdguardian.restore.Application", props, log, jvmOptions);
    }
}
