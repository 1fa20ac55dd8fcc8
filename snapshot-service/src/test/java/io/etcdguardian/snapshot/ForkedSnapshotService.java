package io.etcdguardian.snapshot;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.ForkedService;
import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.FreePorts;
import io.etcdguardian.localetcd.Readiness;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * snapshot-service as its own JVM from the test's classpath, so that a test can kill it for real; its
 * log under target/ outlives the test for a post-mortem. Returns once it answers on /health.
 */
final class ForkedSnapshotService {
    private ForkedSnapshotService() {}

    /** {@code settings}: further {@code -D} options (guardian.snapshot.*, failpoints) for this run. */
    static ChildProcess start(
            String name,
            Path logDir,
            Path workDir,
            Backplane backplane,
            Path fleet,
            String group,
            Path spool,
            List<String> settings) {
        return start(name, logDir, workDir, backplane, fleet, group, spool, settings, FreePorts.next());
    }

    /** The same, its HTTP API on {@code port}. */
    static ChildProcess start(
            String name,
            Path logDir,
            Path workDir,
            Backplane backplane,
            Path fleet,
            String group,
            Path spool,
            List<String> settings,
            int port) {
        ChildProcess process = new ChildProcess(name, logDir);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ForkedService.testJvm("192m"));
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                "-Dmicronaut.server.port=" + port,
                "-Dkafka.bootstrap.servers=" + backplane.kafka().bootstrapServers(),
                "-Dkafka.session.timeout.ms=6000",
                "-Dkafka.heartbeat.interval.ms=1000",
                "-Dguardian.fleet.file=" + fleet,
                "-Dguardian.fleet.topic.enabled=false",
                "-Dguardian.snapshot.group=" + group,
                "-Dguardian.snapshot.spool-dir=" + spool));
        command.addAll(settings);
        command.add("io.etcdguardian.snapshot.Application");
        process.start(command, workDir);
        Readiness.await(
                name,
                Duration.ofSeconds(60),
                process,
                () -> Readiness.httpAnswers(
                        URI.create("http://127.0.0.1:" + port + "/health"), r -> r.statusCode() == 200));
        return process;
    }
}
