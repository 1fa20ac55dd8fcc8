package io.etcdguardian.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.cli.local.LocalServices;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.HealthChanged;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.SnapshotStarted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.security.CallerTokens;
import io.etcdguardian.common.security.Roles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
class WholeSystemIT {
    private static final String CLUSTER = "e2e";
    private static final long QUOTA = 16L * 1024 * 1024;
    private static final String AGE = "(\\d+s|\\d+m(\\d+s)?)";
    // a scheduled snapshot may be running at any moment: "snapshot 0/8"
    private static final String RUNNING = "(-|[a-z]+ \\d+/\\d+(,[a-z]+ \\d+/\\d+)*)";

    @TempDir
    Path state;

    @Test
    void scheduledBackupRestoreThroughGuardianctlAndNospaceHealedAlone() throws Exception {
        Backplane backplane = Backplane.startOrReuse(
                state, new Backplane.Options(3, QUOTA, "etcd-snapshots"), TopicSpec.ofContract());
        LocalServices services = new LocalServices(
                backplane.stateDir(), Path.of("..").toAbsolutePath().normalize());
        try (EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower snapshots = stream.follow(Topics.SNAPSHOT_EVENTS);
                EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS);
                Client etcd = Client.builder()
                        .endpoints(backplane.etcd().endpoints().toArray(String[]::new))
                        .build()) {
            Path credentials = backplane.s3().writeCredentials(state.resolve("s3.properties"));
            Path fleet = Files.writeString(state.resolve("fleet.yaml"), """
                    clusters:
                      - id: %s
                        etcd: { endpoints: [%s], quotaBackendBytes: %d, pollInterval: 1s }
                        store: { bucket: %s, endpoint: %s, credentialsFile: %s }
                        schedule: { cron: "* * * * *", timezone: UTC, jitter: 0s }
                        retention: { keepLast: 50 }
                        slo: { maxBackupAge: 2h }
                        kubernetes: { kind: local }
                        restore: { localDir: %s }
                    """.formatted(
                            CLUSTER,
                            String.join(", ", backplane.etcd().endpoints()),
                            QUOTA,
                            backplane.bucket(),
                            backplane.s3().endpoint(),
                            credentials,
                            backplane.etcd().dir()));
            services.start(
                    Map.of(
                            "KAFKA_BOOTSTRAP_SERVERS",
                            backplane.kafka().bootstrapServers(),
                            "GUARDIAN_FLEET_FILE",
                            fleet.toString(),
                            "GUARDIAN_HEALTH_SETTLE",
                            "1s",
                            "GUARDIAN_HEALTH_DEFRAG_MAX_QUOTA_USE",
                            "1.0",
                            // the state before any drill is shown first: no drill right after capture here (the quick
                            // start and DrillAfterCaptureIT have it on, the default)
                            "GUARDIAN_SNAPSHOT_DRILL_AFTER_CAPTURE_MAX_BYTES",
                            "0"),
                    Duration.ofSeconds(120));

            for (int i = 0; i < 100; i++) {
                put(etcd, "/registry/e2e/" + i, "v" + i);
            }
            // a schedule firing while the keys went in took some of them: wait for one taken after the last
            long lastPut = etcd.getKVClient()
                    .get(bytes("/registry/e2e/99"))
                    .get(10, TimeUnit.SECONDS)
                    .getHeader()
                    .getRevision();
            // 1. nobody asks: the every-minute schedule backs the cluster up
            SnapshotCompleted scheduled = (SnapshotCompleted) snapshots
                    .await(
                            e -> e instanceof SnapshotCompleted c
                                    && c.clusterId().equals(CLUSTER)
                                    && c.revision() >= lastPut,
                            Duration.ofSeconds(150))
                    .orElseThrow(() -> new AssertionError("no scheduled snapshot; logs in " + backplane.stateDir()));
            // guardianctl as a person reads it: columns, units, ages; and as a script reads it (-o json)
            Guardianctl.Run shown = ctl("snapshots", "show", CLUSTER, scheduled.snapshotId());
            assertThat(shown.exit()).isZero();
            assertThat(EventJson.MAPPER.readTree(shown.out()).path("sha256").asText())
                    .isEqualTo(scheduled.sha256());
            Guardianctl.Run unproven = ctl("status", CLUSTER);
            assertThat(unproven.exit())
                    .as("backed up, but nothing proven restorable yet")
                    .isOne();
            assertThat(unproven.out().lines().toList()).hasSize(2);
            assertThat(unproven.out().lines().findFirst().orElseThrow().split(" +"))
                    .containsExactly(
                            "CLUSTER",
                            "NEWEST",
                            "AGE",
                            "NEWEST",
                            "RESTORABLE",
                            "AGE",
                            "MAX",
                            "AGE",
                            "OK",
                            "RUNNING",
                            "LAST",
                            "RESTORE");
            assertThat(unproven.out().lines().skip(1).findFirst().orElseThrow())
                    .as("the fleet's slo.maxBackupAge: 2h")
                    .matches(CLUSTER + " +" + scheduled.snapshotId() + " +" + AGE + " +- +- +2h +NO +" + RUNNING
                            + " +-");
            JsonNode unprovenJson = EventJson.MAPPER
                    .readTree(ctl("status", CLUSTER, "-o", "json").out())
                    .get(0);
            assertThat(unprovenJson.path("ok").asBoolean()).isFalse();
            assertThat(unprovenJson.path("newestSnapshot").asText()).isEqualTo(scheduled.snapshotId());
            assertThat(unprovenJson.hasNonNull("newestRestorable")).isFalse();
            assertThat(unprovenJson.path("maxAgeSeconds").asLong()).isEqualTo(7200);

            // the raw database, as a host-side restore (etcdutl, cluster-restore.sh) takes it
            Path downloads = state.resolve("downloads");
            Guardianctl.Run got =
                    ctl("snapshots", "get", CLUSTER, scheduled.snapshotId(), "--dir", downloads.toString());
            assertThat(got.exit()).isZero();
            List<Path> written;
            try (java.util.stream.Stream<Path> files = Files.list(downloads)) {
                written = files.toList();
            }
            assertThat(written).singleElement().satisfies(db -> {
                assertThat(db.getFileName().toString()).matches("snapshot_\\d{4}-\\d{2}-\\d{2}_\\d{6}\\.db");
                assertThat(Files.size(db)).isEqualTo(scheduled.sizeRaw());
                Process status = new ProcessBuilder(
                                io.etcdguardian.localetcd.EtcdBinaries.etcdutl()
                                        .orElseThrow()
                                        .toString(),
                                "snapshot",
                                "status",
                                db.toString(),
                                "-w",
                                "json")
                        .redirectErrorStream(true)
                        .start();
                String answer = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(status.waitFor())
                        .as("etcdutl snapshot status: " + answer)
                        .isZero();
                assertThat(answer).contains("\"revision\":" + scheduled.revision());
            });
            Guardianctl.Run drilled = ctl("verify", scheduled.snapshotId());
            assertThat(drilled.exit()).as("drill of an id found in the fleet").isZero();
            assertThat(drilled.out())
                    .matches(CLUSTER + "/" + scheduled.snapshotId()
                            + " PASSED: restored revision \\d+ \\(manifest \\d+\\), \\d+ keys.*\\R");
            Guardianctl.Run drilledJson = ctl("snapshots", "verify", CLUSTER, "latest", "-o", "json");
            assertThat(drilledJson.exit()).as("drill of the newest").isZero();
            assertThat(EventJson.MAPPER
                            .readTree(drilledJson.out())
                            .path("drill")
                            .path("result")
                            .asText())
                    .isEqualTo("PASSED");
            Guardianctl.Run missing = ctl("verify", CLUSTER + "/20000101T000000Z-00000000");
            assertThat(missing.exit()).as("no such snapshot").isOne();
            assertThat(missing.err()).startsWith("error: ").contains("20000101T000000Z-00000000");

            Guardianctl.Run backup = ctl("backup", CLUSTER);
            assertThat(backup.exit()).as("on demand").isZero();
            assertThat(backup.out())
                    .containsPattern("snapshot \\S+ of " + CLUSTER + " started from http://127\\.0\\.0\\.1:\\d+"
                            + " \\(database [\\d.]+ (KiB|MiB)\\)")
                    .containsPattern("snapshot \\S+ of " + CLUSTER + ": revision \\d+,"
                            + " \\d+ keys, [\\d.]+ (KiB|MiB) raw, [\\d.]+ (B|KiB|MiB) stored, in \\d+(ms|s), s3://"
                            + backplane.bucket() + "/" + CLUSTER + "/snapshots/\\S+");
            Guardianctl.Run backupJson = ctl("backup", CLUSTER, "-o", "json");
            assertThat(backupJson.exit()).isZero();
            java.util.List<JsonNode> lines = new java.util.ArrayList<>();
            for (String line : backupJson.out().lines().toList()) {
                lines.add(EventJson.MAPPER.readTree(line)); // every line is one event
            }
            assertThat(lines.get(0).path("type").asText()).isEqualTo(SnapshotStarted.TYPE);
            assertThat(lines.get(lines.size() - 1).path("type").asText()).isEqualTo(SnapshotCompleted.TYPE);
            assertThat(lines.get(lines.size() - 1)
                            .path("data")
                            .path("objectKey")
                            .asText())
                    .startsWith(CLUSTER + "/snapshots/");

            Guardianctl.Run list = ctl("snapshots", "list", CLUSTER);
            assertThat(list.exit()).isZero();
            assertThat(list.out().lines().findFirst().orElseThrow().split(" +"))
                    .containsExactly("SNAPSHOT", "TAKEN", "REVISION", "KEYS", "SIZE", "DRILL");
            assertThat(list.out())
                    .containsPattern(scheduled.snapshotId()
                            + " +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +\\d+ +\\d+ +[\\d.]+ (KiB|MiB)"
                            + " +PASSED");
            assertThat(EventJson.MAPPER
                            .readTree(ctl("snapshots", "list", CLUSTER, "-o", "json")
                                    .out())
                            .size())
                    .isEqualTo(list.out().lines().count() - 1);
            Guardianctl.Run fresh = ctl("status", CLUSTER);
            assertThat(fresh.exit()).as("a fresh backup").isZero();
            assertThat(fresh.out())
                    .containsPattern(CLUSTER + " +\\S+ +\\d+s +\\S+ +" + AGE + " +2h +yes +" + RUNNING + " +-");
            assertThat(ctl("status", "--fleet", "--fleet-file", fleet.toString())
                            .exit())
                    .isZero();
            assertThat(ctl("status", CLUSTER, "--max-age", "PT0S").exit())
                    .as("older than allowed")
                    .isOne();
            Guardianctl.Run unknown = ctl("backup", "nobody");
            assertThat(unknown.exit()).as("unknown cluster").isOne();
            assertThat(unknown.err()).contains("backup of nobody FAILED: UNKNOWN_CLUSTER");
            // refused requests are reported from the dead-letter topic, not waited for until --timeout
            assertThat(ctl("restore", "nobody", "--timeout", "120").exit())
                    .as("unknown cluster")
                    .isOne();
            assertThat(ctl("defrag", "nobody", "--timeout", "2m").exit())
                    .as("unknown cluster")
                    .isOne();
            long t0 = System.nanoTime();
            Guardianctl.Run noKafka = ctl("backup", CLUSTER, "--bootstrap-servers", "127.0.0.1:1");
            assertThat(noKafka.exit()).as("no backplane: no answer").isEqualTo(3);
            assertThat(noKafka.err()).startsWith("no answer: ").contains("127.0.0.1:1");
            assertThat(Duration.ofNanos(System.nanoTime() - t0))
                    .as("reported within seconds, not by a hang")
                    .isLessThan(Duration.ofSeconds(45));
            Guardianctl.Run impatient = ctl("backup", CLUSTER, "--timeout", "1ms");
            assertThat(impatient.exit()).as("deadline passed").isEqualTo(3);
            assertThat(impatient.err())
                    .contains("within 1ms (--timeout)")
                    .containsPattern("waited for the (start|end) of (a )?snapshot");
            assertThat(ctl("backup", CLUSTER, "--timeout", "soon").exit())
                    .as("usage error")
                    .isEqualTo(2);
            // the same through a context of guardianctl's config: no local state to fall back on
            System.setProperty(
                    "guardian.config", state.resolve("guardianctl.yaml").toString());
            try {
                assertThat(run(
                                        "config",
                                        "set-context",
                                        "e2e",
                                        "--bootstrap-servers",
                                        backplane.kafka().bootstrapServers(),
                                        "--snapshot-url",
                                        "http://127.0.0.1:" + services.ports().get("snapshot-service"),
                                        "--restore-url",
                                        "http://127.0.0.1:" + services.ports().get("restore-service"),
                                        "--fleet-file",
                                        fleet.toString(),
                                        "--token-file",
                                        state.resolve("token").toString())
                                .exit())
                        .isZero();
                Guardianctl.Run viaContext = run(
                        "status",
                        "--fleet",
                        "--state",
                        state.resolve("nothing-here").toString());
                assertThat(viaContext.exit()).isZero();
                assertThat(viaContext.out()).contains(CLUSTER);
                assertThat(run(
                                        "--context",
                                        "e2e",
                                        "backup",
                                        CLUSTER,
                                        "--state",
                                        state.resolve("nothing-here").toString())
                                .exit())
                        .isZero();
            } finally {
                System.clearProperty("guardian.config");
            }
            Guardianctl.Run dry = ctl("restore", CLUSTER, "--dry-run");
            assertThat(dry.exit()).isZero();
            assertThat(dry.out())
                    .containsPattern("plan: snapshot \\S+ \\([\\d.]+ (KiB|MiB)\\), target local, digest \\S+")
                    .contains("fetch-snapshot");
            assertThat(eventsJson(ctl("events", "--for", "1", "--cluster", CLUSTER)))
                    .isNotNull();

            // 2. the wrong keys are deleted after the backup; guardianctl restore brings them back
            for (int i = 0; i < 50; i++) {
                etcd.getKVClient().delete(bytes("/registry/e2e/" + i)).get(10, TimeUnit.SECONDS);
            }
            put(etcd, "/registry/e2e-after", "written after the backup");
            Guardianctl.Run restored =
                    ctl("restore", CLUSTER, "--snapshot", scheduled.snapshotId(), "--yes", "--timeout", "300");
            assertThat(restored.exit()).isZero();
            assertThat(restored.out())
                    .containsPattern("\\[1/\\d+\\] \\S+ +STARTED")
                    .containsPattern("\\[\\d+/\\d+\\] fetch-snapshot" + " +DONE")
                    .contains("restore COMPLETED");
            assertThat(count(etcd, "/registry/e2e/")).isEqualTo(100);
            assertThat(count(etcd, "/registry/e2e-after")).isZero();
            // restore-service ran on its default spool: under java.io.tmpdir, not a directory named after the
            // placeholder
            assertThat(backplane.stateDir().resolve("services").resolve("${java.io.tmpdir}"))
                    .doesNotExist();

            // 3. the database fills up: health-service notices, takes a snapshot, heals, disarms
            fillUntilNospace(etcd);
            HealthChanged raised = (HealthChanged) health.await(
                            e -> e instanceof HealthChanged h
                                    && h.clusterId().equals(CLUSTER)
                                    && h.change() == HealthChanged.Change.ALARM_RAISED
                                    && "NOSPACE".equals(h.alarm()),
                            Duration.ofSeconds(60))
                    .orElseThrow();
            assertThat(raised.detail()).contains("NOSPACE");
            MaintenanceProgress snapshotFirst = (MaintenanceProgress) health.await(
                            e -> e instanceof MaintenanceProgress p
                                    && p.clusterId().equals(CLUSTER)
                                    && p.step().equals("snapshot")
                                    && p.status() != ProgressStatus.STARTED,
                            Duration.ofSeconds(120))
                    .orElseThrow();
            assertThat(snapshotFirst.status()).as(snapshotFirst.detail()).isEqualTo(ProgressStatus.DONE);
            MaintenanceProgress done = (MaintenanceProgress) health.await(
                            e -> e instanceof MaintenanceProgress p
                                    && p.clusterId().equals(CLUSTER)
                                    && p.step().equals("maintenance"),
                            Duration.ofSeconds(180))
                    .orElseThrow();
            assertThat(done.status()).as(done.detail()).isEqualTo(ProgressStatus.COMPLETED);
            assertThat(health.await(
                            e -> e instanceof HealthChanged h
                                    && h.clusterId().equals(CLUSTER)
                                    && h.change() == HealthChanged.Change.ALARM_CLEARED,
                            Duration.ofSeconds(30)))
                    .isPresent();
            put(etcd, "/registry/after-heal", "writes accepted again");
            // and an operator's defrag of the healed cluster goes through the same safe steps
            Guardianctl.Run defrag = ctl("defrag", CLUSTER);
            assertThat(defrag.exit()).isZero();
            assertThat(defrag.out())
                    .containsPattern(
                            "\\[\\d/\\d\\] defrag +DONE +http://127\\.0\\.0\\.1:\\d+ +member 1 of 3"
                                    + " \\(follower\\), (shrank|did not shrink), settled in \\d+ ms \\([\\d.]+ (B|KiB|MiB) -> [\\d.]+ (B|KiB|MiB)\\)")
                    .containsPattern("maintenance +COMPLETED");

            // 4. every metric the shipped Grafana dashboard and alerts query is one the running services export
            // (a failure counter exists only once something failed: SnapshotServiceIT checks that one)
            Set<String> queried = dashboardMetrics();
            queried.remove("guardian_snapshot_failures_total");
            assertThat(exported(services)).containsAll(queried);

            // 5. every endpoint of every service asks for a token with its role: 401 without one or with an
            // unknown one, 403 with one whose roles do not allow it; health and metrics stay open
            Path tokens = state.resolve("services").resolve("tokens");
            Map<String, String> callers = new java.util.LinkedHashMap<>();
            StringBuilder tokenLines = new StringBuilder(Files.readString(tokens));
            for (String role : List.of(Roles.READ, Roles.OPERATE, Roles.RESTORE)) {
                String[] issued = CallerTokens.issue("only-" + role, Set.of(role));
                callers.put(role, issued[0]);
                tokenLines.append(issued[1]).append('\n');
            }
            io.etcdguardian.common.security.OwnerOnlyFile.write(tokens, tokenLines.toString());
            Map<String, Integer> ports = services.ports();
            List<String[]> endpoints = List.of( // service, method, path, role
                    new String[] {"scheduler-service", "POST", "/clusters/nobody/backups", Roles.OPERATE},
                    new String[] {"snapshot-service", "GET", "/snapshots/nobody", Roles.READ},
                    new String[] {"snapshot-service", "GET", "/snapshots/nobody/latest", Roles.READ},
                    new String[] {"snapshot-service", "POST", "/snapshots/nobody/latest/drill", Roles.OPERATE},
                    new String[] {"snapshot-service", "GET", "/snapshots/nobody/latest/db", Roles.RESTORE},
                    new String[] {"health-service", "POST", "/alertmanager", Roles.OPERATE},
                    new String[] {"restore-service", "GET", "/restores/nobody", Roles.READ},
                    new String[] {"restore-service", "GET", "/operations/nobody", Roles.READ},
                    new String[] {"restore-service", "GET", "/restores/nobody/r1/snapshot-url", Roles.RESTORE});
            for (String[] e : endpoints) {
                URI uri = URI.create("http://127.0.0.1:" + ports.get(e[0]) + e[2]);
                String what = e[0] + " " + e[1] + " " + e[2];
                assertThat(status(uri, e[1], null))
                        .as(what + " without a token")
                        .isEqualTo(401);
                assertThat(status(uri, e[1], "gdn_not-a-token"))
                        .as(what + " with an unknown token")
                        .isEqualTo(401);
                // the tokens file is re-read on change: the new callers are known at once
                await().atMost(Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThat(status(uri, e[1], callers.get(e[3])))
                                .as(what + " with role " + e[3])
                                .isNotIn(401, 403));
                for (var other : callers.entrySet()) {
                    if (!other.getKey().equals(e[3])) {
                        assertThat(status(uri, e[1], other.getValue()))
                                .as(what + " with role " + other.getKey())
                                .isEqualTo(403);
                    }
                }
            }
            // hostile ids in every path of every endpoint: refused with a reason (4xx), never a 5xx, nothing made
            String admin = Files.readString(state.resolve("token")).strip();
            for (String hostile : List.of(
                    "..",
                    "../etc",
                    "%2e%2e%2fetc",
                    "a%2f..%2f..%2fb",
                    "nul%00byte",
                    "x".repeat(1000),
                    "c;rm%20-rf%20%2f",
                    "%24(reboot)",
                    "UPPER")) {
                for (String[] e : endpoints) {
                    for (String path : List.of(e[2].replace("nobody", hostile), e[2].replace("latest", hostile))) {
                        if (path.equals(e[2])) {
                            continue;
                        }
                        URI uri = URI.create("http://127.0.0.1:" + ports.get(e[0]) + path);
                        assertThat(status(uri, e[1], admin))
                                .as(e[0] + " " + e[1] + " " + path)
                                .isBetween(400, 499);
                    }
                }
            }
            // hostile bodies to every endpoint that reads one: refused with a reason (4xx), never a 5xx
            int hostileBodies = 0;
            for (String[] e : List.of(
                    new String[] {"scheduler-service", "/clusters/" + CLUSTER + "/backups"},
                    new String[] {"health-service", "/alertmanager"})) {
                URI uri = URI.create("http://127.0.0.1:" + ports.get(e[0]) + e[1]);
                for (var body : HostileBodies.forEndpoint(e[1]).entrySet()) {
                    HttpResponse<String> answer = post(
                            uri,
                            admin,
                            body.getValue().contentType(),
                            body.getValue().bytes());
                    assertThat(answer.statusCode())
                            .as(e[0] + " " + e[1] + ": " + body.getKey() + " → " + answer.body())
                            .isBetween(400, 499);
                    assertThat(answer.body())
                            .as(e[0] + ": " + body.getKey() + ": a reason")
                            .isNotBlank();
                    hostileBodies++;
                }
            }
            System.out.println(
                    "hostile HTTP bodies: " + hostileBodies + " sent, " + hostileBodies + " refused with 4xx");
            try (java.util.stream.Stream<Path> made = Files.walk(state)) {
                assertThat(made.map(Path::toString))
                        .as("no file named by a hostile id")
                        .noneMatch(p -> p.contains("etc") && p.contains("..")
                                || p.contains("reboot")
                                || p.contains("xxxxxxxxxx"));
            }
            // health and metrics are on the management port only, open; the API is not served there
            Map<String, Integer> management = services.managementPorts();
            for (String service : LocalServices.NAMES) {
                int api = ports.get(service);
                int mgmt = management.get(service);
                assertThat(mgmt).isNotEqualTo(api);
                assertThat(status(URI.create("http://127.0.0.1:" + mgmt + "/health"), "GET", null))
                        .isEqualTo(200);
                assertThat(status(URI.create("http://127.0.0.1:" + mgmt + "/prometheus"), "GET", null))
                        .isEqualTo(200);
                assertThat(status(URI.create("http://127.0.0.1:" + api + "/health"), "GET", null))
                        .as(service + ": no health on the API port")
                        .isNotEqualTo(200);
                assertThat(status(URI.create("http://127.0.0.1:" + api + "/prometheus"), "GET", admin))
                        .as(service + ": no metrics on the API port")
                        .isNotEqualTo(200);
            }
            for (String[] e : endpoints) {
                assertThat(status(URI.create("http://127.0.0.1:" + management.get(e[0]) + e[2]), e[1], admin))
                        .as(e[0] + " " + e[1] + " " + e[2] + " on the management port: refused (Micronaut answers 403"
                                + " for a route on another port's listener)")
                        .isIn(403, 404);
            }
            String logs = Files.readString(state.resolve("services").resolve("restore-service.log"))
                    + Files.readString(state.resolve("services").resolve("snapshot-service.log"));
            assertThat(logs)
                    .as("tokens are never logged")
                    .doesNotContain(callers.get(Roles.READ))
                    .doesNotContain(Files.readString(state.resolve("token")).strip());

            // 6. a service that is down is reported as such within seconds, before anything is published
            services.process("snapshot-service").stop(Duration.ofSeconds(20));
            t0 = System.nanoTime();
            Guardianctl.Run down = ctl("backup", CLUSTER);
            assertThat(down.exit()).isEqualTo(3);
            assertThat(down.err()).contains("snapshot-service is not running").contains("Nothing was published");
            Guardianctl.Run unreachable = ctl("verify", CLUSTER);
            assertThat(unreachable.exit()).isEqualTo(3);
            assertThat(unreachable.err()).contains("nothing answers at http://127.0.0.1:");
            for (String[] command : List.of(new String[] {"catalog", "rebuild"}, new String[] {"status", CLUSTER})) {
                Guardianctl.Run readsTheCatalogue = ctl(command);
                assertThat(readsTheCatalogue.exit())
                        .as(String.join(" ", command) + " with snapshot-service down")
                        .isEqualTo(3);
                assertThat(readsTheCatalogue.err()).contains("nothing answers at http://127.0.0.1:");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(60));
        } finally {
            services.stop();
            backplane.stop();
        }
    }

    private static HttpResponse<String> post(URI uri, String token, String contentType, byte[] body) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofSeconds(30))
                                .header("Content-Type", contentType)
                                .header("Authorization", "Bearer " + token)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    private static int status(URI uri, String method, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method(
                        method,
                        method.equals("POST")
                                ? HttpRequest.BodyPublishers.ofString("{\"version\":\"4\",\"alerts\":[]}")
                                : HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient()
                .send(request.build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static Set<String> exported(LocalServices services) throws Exception {
        Set<String> names = new TreeSet<>();
        HttpClient http = HttpClient.newHttpClient();
        for (int port : services.managementPorts().values()) {
            String body = http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/prometheus"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            body.lines().filter(l -> l.startsWith("guardian_")).forEach(l -> names.add(l.split("[{ ]", 2)[0]));
        }
        return names;
    }

    /** Every guardian_ metric the shipped dashboard and alerts query. */
    private static Set<String> dashboardMetrics() throws Exception {
        Path chart = Path.of("..", "deploy", "helm", "etcd-guardian");
        String dashboard = Files.readString(chart.resolve("files").resolve("dashboard.json"))
                + Files.readString(chart.resolve("templates").resolve("monitoring.yaml"));
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("guardian_[a-z_]+").matcher(dashboard);
        while (m.find()) {
            names.add(m.group());
        }
        assertThat(names).isNotEmpty();
        return names;
    }

    /** What one guardianctl command did: its exit code and what it printed. */
    static JsonNode eventsJson(Guardianctl.Run run) throws Exception {
        assertThat(run.exit()).isZero();
        JsonNode last = null;
        for (String line : run.out().lines().toList()) {
            last = EventJson.MAPPER.readTree(line);
            assertThat(last.path("type").asText()).startsWith("io.etcdguardian.");
            assertThat(last.path("data").path("clusterId").asText()).isEqualTo(CLUSTER);
        }
        return run.out().isEmpty() ? EventJson.MAPPER.createObjectNode() : last;
    }

    /** guardianctl as an operator runs it, pointed at this test's local backplane. */
    private Guardianctl.Run ctl(String... args) {
        return Guardianctl.inState(state, args);
    }

    private static Guardianctl.Run run(String... all) {
        return Guardianctl.run(all);
    }

    private static long count(Client etcd, String prefix) throws Exception {
        return etcd.getKVClient()
                .get(
                        bytes(prefix),
                        GetOption.builder().isPrefix(true).withCountOnly(true).build())
                .get(10, TimeUnit.SECONDS)
                .getCount();
    }

    private static void fillUntilNospace(Client etcd) {
        byte[] value = new byte[256 * 1024];
        for (int i = 0; i < 1000; i++) {
            value[i % value.length] = (byte) i;
            try {
                etcd.getKVClient()
                        .put(bytes("/fill/" + (i % 4)), ByteSequence.from(value))
                        .get(10, TimeUnit.SECONDS);
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
