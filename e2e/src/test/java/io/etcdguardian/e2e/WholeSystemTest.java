package io.etcdguardian.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.cli.GuardianCtl;
import io.etcdguardian.cli.local.LocalServices;
import io.etcdguardian.common.event.HealthChanged;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system as processes on this machine — the four service jars, a real 3-member etcd with a
 * 16 MiB quota, Kafka, S3Proxy — driven the way an operator drives it: a scheduled backup happens;
 * guardianctl verifies it; keys deleted after the backup come back through `guardianctl restore`;
 * a NOSPACE is healed without anyone acting, with a snapshot taken first.
 */
class WholeSystemTest {
    private static final String CLUSTER = "e2e";
    private static final long QUOTA = 16L * 1024 * 1024;

    @TempDir
    Path state;

    @Test
    void scheduledBackupRestoreThroughGuardianctlAndNospaceHealedAlone() throws Exception {
        Backplane backplane = Backplane.startOrReuse(state, new Backplane.Options(3, QUOTA, "etcd-snapshots"),
                Topics.all().stream().map(t -> new TopicSpec(t.name(), t.partitions(), t.compacted(),
                        t.retention() == null ? 0 : t.retention().toMillis())).toList());
        LocalServices services = new LocalServices(backplane.stateDir(), Path.of("..").toAbsolutePath().normalize());
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
             EventStream.Follower snapshots = stream.follow(Topics.SNAPSHOT_EVENTS);
             EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS);
             Client etcd = Client.builder().endpoints(backplane.etcd().endpoints().toArray(String[]::new)).build()) {
            Path credentials = Files.writeString(state.resolve("s3.properties"), "accessKeyId="
                    + backplane.s3().accessKey() + "\nsecretAccessKey=" + backplane.s3().secretKey() + "\n");
            Path fleet = Files.writeString(state.resolve("fleet.yaml"), """
                    clusters:
                      - id: %s
                        etcd: { endpoints: [%s], quotaBackendBytes: %d, pollInterval: 1s }
                        store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                        schedule: { cron: "* * * * *", timezone: UTC, jitter: 0s }
                        retention: { keepLast: 50 }
                        kubernetes: { kind: local }
                        restore: { localDir: %s }
                    """.formatted(CLUSTER, String.join(", ", backplane.etcd().endpoints()), QUOTA, backplane.bucket(),
                    backplane.s3().endpoint(), credentials, backplane.etcd().dir()));
            services.start(Map.of("KAFKA_BOOTSTRAP_SERVERS", backplane.kafka().bootstrapServers(),
                    "GUARDIAN_FLEET_FILE", fleet.toString(),
                    "GUARDIAN_HEALTH_SETTLE", "1s",
                    "GUARDIAN_HEALTH_DEFRAG_MAX_QUOTA_USE", "1.0"), Duration.ofSeconds(120));

            for (int i = 0; i < 100; i++) {
                put(etcd, "/registry/e2e/" + i, "v" + i);
            }
            // 1. nobody asks: the every-minute schedule backs the cluster up
            SnapshotCompleted scheduled = (SnapshotCompleted) snapshots.await(e -> e instanceof SnapshotCompleted c
                    && c.clusterId().equals(CLUSTER) && c.totalKeys() > 100, Duration.ofSeconds(150))
                    .orElseThrow(() -> new AssertionError("no scheduled snapshot; logs in " + backplane.stateDir()));
            assertThat(ctl("snapshots", "show", CLUSTER, scheduled.snapshotId())).isZero();
            assertThat(ctl("status", CLUSTER)).as("backed up, but nothing proven restorable yet").isOne();
            assertThat(ctl("verify", scheduled.snapshotId())).as("drill of an id found in the fleet").isZero();
            assertThat(ctl("snapshots", "verify", CLUSTER, "latest")).as("drill of the newest").isZero();
            assertThat(ctl("verify", CLUSTER + "/20000101T000000Z-00000000")).as("no such snapshot").isOne();
            assertThat(ctl("backup", CLUSTER)).as("on demand").isZero();
            assertThat(ctl("snapshots", "list", CLUSTER)).isZero();
            assertThat(ctl("status", CLUSTER)).as("a fresh backup").isZero();
            assertThat(ctl("status", "--fleet", "--fleet-file", fleet.toString())).isZero();
            assertThat(ctl("status", CLUSTER, "--max-age", "PT0S")).as("older than allowed").isOne();
            assertThat(ctl("backup", "nobody")).as("unknown cluster").isOne();
            // refused requests are reported from the dead-letter topic, not waited for until --timeout
            assertThat(ctl("restore", "nobody", "--timeout", "120")).as("unknown cluster").isOne();
            assertThat(ctl("defrag", "nobody", "--timeout", "120")).as("unknown cluster").isOne();
            assertThat(ctl("backup", CLUSTER, "--bootstrap-servers", "127.0.0.1:1")).as("no backplane").isOne();
            assertThat(ctl("restore", CLUSTER, "--dry-run")).isZero();

            // 2. the wrong keys are deleted after the backup; guardianctl restore brings them back
            for (int i = 0; i < 50; i++) {
                etcd.getKVClient().delete(bytes("/registry/e2e/" + i)).get(10, TimeUnit.SECONDS);
            }
            put(etcd, "/registry/e2e-after", "written after the backup");
            assertThat(ctl("restore", CLUSTER, "--snapshot", scheduled.snapshotId(), "--yes", "--timeout", "300")).isZero();
            assertThat(count(etcd, "/registry/e2e/")).isEqualTo(100);
            assertThat(count(etcd, "/registry/e2e-after")).isZero();
            // restore-service ran on its default spool: under java.io.tmpdir, not a directory named after the placeholder
            assertThat(backplane.stateDir().resolve("services").resolve("${java.io.tmpdir}")).doesNotExist();

            // 3. the database fills up: health-service notices, takes a snapshot, heals, disarms
            fillUntilNospace(etcd);
            HealthChanged raised = (HealthChanged) health.await(e -> e instanceof HealthChanged h
                    && h.clusterId().equals(CLUSTER) && h.change() == HealthChanged.Change.ALARM_RAISED
                    && "NOSPACE".equals(h.alarm()), Duration.ofSeconds(60)).orElseThrow();
            assertThat(raised.detail()).contains("NOSPACE");
            MaintenanceProgress snapshotFirst = (MaintenanceProgress) health.await(e -> e instanceof MaintenanceProgress p
                    && p.clusterId().equals(CLUSTER) && p.step().equals("snapshot") && !p.status().equals("STARTED"),
                    Duration.ofSeconds(120)).orElseThrow();
            assertThat(snapshotFirst.status()).as(snapshotFirst.detail()).isEqualTo("DONE");
            MaintenanceProgress done = (MaintenanceProgress) health.await(e -> e instanceof MaintenanceProgress p
                    && p.clusterId().equals(CLUSTER) && p.step().equals("maintenance"), Duration.ofSeconds(180))
                    .orElseThrow();
            assertThat(done.status()).as(done.detail()).isEqualTo("COMPLETED");
            assertThat(health.await(e -> e instanceof HealthChanged h && h.clusterId().equals(CLUSTER)
                    && h.change() == HealthChanged.Change.ALARM_CLEARED, Duration.ofSeconds(30))).isPresent();
            put(etcd, "/registry/after-heal", "writes accepted again");
            // and an operator's defrag of the healed cluster goes through the same safe steps
            assertThat(ctl("defrag", CLUSTER)).isZero();

            // 4. every metric the shipped Grafana dashboard queries is one the running services export
            // (a failure counter exists only once something failed: SnapshotServiceTest checks that one)
            Set<String> queried = dashboardMetrics();
            queried.remove("guardian_snapshot_failures_total");
            assertThat(exported(services)).containsAll(queried);
        } finally {
            services.stop();
            backplane.stop();
        }
    }

    private static Set<String> exported(LocalServices services) throws Exception {
        Set<String> names = new TreeSet<>();
        HttpClient http = HttpClient.newHttpClient();
        for (int port : services.ports().values()) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/prometheus"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            body.lines().filter(l -> l.startsWith("guardian_")).forEach(l -> names.add(l.split("[{ ]", 2)[0]));
        }
        return names;
    }

    private static Set<String> dashboardMetrics() throws Exception {
        String dashboard = Files.readString(Path.of("..", "deploy", "helm", "etcd-guardian", "files", "dashboard.json"));
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("guardian_[a-z_]+").matcher(dashboard);
        while (m.find()) {
            names.add(m.group());
        }
        assertThat(names).isNotEmpty();
        return names;
    }

    /** guardianctl as an operator runs it, pointed at this test's local backplane. */
    private int ctl(String... args) {
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of(
                "--state", state.toString())).toArray(String[]::new);
        return GuardianCtl.commandLine().execute(all);
    }

    private static long count(Client etcd, String prefix) throws Exception {
        return etcd.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())
                .get(10, TimeUnit.SECONDS).getCount();
    }

    private static void fillUntilNospace(Client etcd) {
        byte[] value = new byte[256 * 1024];
        for (int i = 0; i < 1000; i++) {
            value[i % value.length] = (byte) i;
            try {
                etcd.getKVClient().put(bytes("/fill/" + (i % 4)), ByteSequence.from(value)).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                if (String.valueOf(e.getMessage()).contains("database space exceeded")) {
                    return;
                }
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("never reached the quota");
    }

    private static void put(Client etcd, String key, String value) throws Exception {
        etcd.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
