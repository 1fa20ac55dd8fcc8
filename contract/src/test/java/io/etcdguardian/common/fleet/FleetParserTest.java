package io.etcdguardian.common.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetParserTest {

    @Test
    void mergesDefaultsKeyByKeyUnderEachCluster() {
        FleetParser.Result result = FleetParser.parseDocument("""
                defaults:
                  store: { bucket: etcd-snapshots, region: eu-west-1 }
                  schedule: { cron: "0 */6 * * *", timezone: UTC, jitter: 5m }
                  retention: { keepLast: 7, daily: 7 }
                  slo: { maxBackupAge: 8h }
                clusters:
                  - id: prod-eu-1
                    etcd: { endpoints: [http://10.0.0.1:2379, http://10.0.0.2:2379], dialTimeout: 3s }
                    store: { prefix: prod-eu-1 }
                    retention: { keepLast: 3 }
                """);
        assertThat(result.problems()).isEmpty();
        ClusterSpec spec = result.clusters().get("prod-eu-1");
        assertThat(spec.store().bucket()).isEqualTo("etcd-snapshots");
        assertThat(spec.store().prefixOrEmpty()).isEqualTo("prod-eu-1/");
        assertThat(spec.store().regionOrDefault()).isEqualTo("eu-west-1");
        assertThat(spec.retention().keepLast()).isEqualTo(3);
        assertThat(spec.retention().daily()).isEqualTo(7);
        assertThat(spec.schedule().jitter()).isEqualTo(Duration.ofMinutes(5));
        assertThat(spec.etcd().dialTimeoutOrDefault()).isEqualTo(Duration.ofSeconds(3));
        assertThat(spec.isPaused()).isFalse();
        assertThat(SloSpec.maxBackupAgeOf(spec)).isEqualTo(Duration.ofHours(8));
    }

    @Test
    void namesClusterKeyAndReasonForEveryProblem(@TempDir Path dir) throws IOException {
        Path notPem = Files.writeString(dir.resolve("ca.crt"), "hello");
        FleetParser.Result result = FleetParser.parseDocument("""
                defaults:
                  store: { bucket: etcd-snapshots }
                clusters:
                  - id: good
                    etcd: { endpoints: [http://127.0.0.1:2379] }
                  - id: typo
                    etcd: { endpoints: [http://127.0.0.1:2379], endpionts: [] }
                  - id: bad-url
                    etcd: { endpoints: ["ftp://x:1", "not a url"] }
                  - id: bad-tls
                    etcd:
                      endpoints: [https://127.0.0.1:2379]
                      tls: { ca: %s, cert: /nope/client.crt, key: /nope/client.key }
                  - id: bad-cron
                    etcd: { endpoints: [http://127.0.0.1:2379] }
                    schedule: { cron: "61 * * * *", timezone: Mars/Olympus }
                  - id: good
                    etcd: { endpoints: [http://127.0.0.1:2379] }
                  - id: Bad_Id
                    etcd: { endpoints: [http://127.0.0.1:2379] }
                    retention: { keepLast: 0 }
                    schedule: { jitter: soon }
                """.formatted(notPem));
        assertThat(result.clusters()).containsOnlyKeys("good");
        assertThat(result.problems())
                .extracting(FleetProblem::toString)
                .containsExactlyInAnyOrder(
                        "cluster 'typo': etcd.endpionts: unknown key",
                        "cluster 'bad-url': etcd.endpoints[0]: 'ftp://x:1' must be an http:// or https:// URL",
                        "cluster 'bad-url': etcd.endpoints[1]: 'not a url' is not a URL",
                        "cluster 'bad-tls': etcd.tls.ca: file " + notPem + " is not a PEM CERTIFICATE",
                        "cluster 'bad-tls': etcd.tls.cert: file /nope/client.crt does not exist or is not readable",
                        "cluster 'bad-tls': etcd.tls.key: file /nope/client.key does not exist or is not readable",
                        "cluster 'bad-cron': schedule.cron: '61 * * * *' is not a 5-field cron: "
                                + "Failed to parse cron expression. Value 61 not in range [0, 59]",
                        "cluster 'bad-cron': schedule.timezone: 'Mars/Olympus' is not a time zone",
                        "cluster 'good': id: duplicate cluster id",
                        "cluster 'Bad_Id': schedule.jitter: not a duration: 'soon' (use e.g. 30s, 5m, 2h, 1d)");
    }

    @Test
    void reportsSemanticProblemsOnceTypesParse() {
        FleetParser.Result result = FleetParser.parseDocument("""
                clusters:
                  - id: Bad_Id
                    etcd: { endpoints: [http://127.0.0.1:2379] }
                    store: { bucket: x }
                    retention: { keepLast: 0, daily: -1 }
                    slo: { maxBackupAge: 1m }
                  - id: no-store
                    etcd: { endpoints: [] }
                """);
        assertThat(result.problems())
                .extracting(FleetProblem::toString)
                .containsExactlyInAnyOrder(
                        "cluster 'Bad_Id': id: must be a DNS label: lowercase letters, digits and '-', at most 63",
                        "cluster 'Bad_Id': store.bucket: 'x' is not a valid S3 bucket name",
                        "cluster 'Bad_Id': retention.keepLast: must be at least 1",
                        "cluster 'Bad_Id': retention.daily: must not be negative",
                        "cluster 'Bad_Id': slo.maxBackupAge: must be at least 5m (a drill takes minutes)",
                        "cluster 'no-store': etcd.endpoints: at least one client URL is required",
                        "cluster 'no-store': store.bucket: is required");
    }

    @Test
    void rejectsBadScheduleWindowsNamingTheEntry() {
        FleetParser.Result result = FleetParser.parseDocument("""
                clusters:
                  - id: c1
                    etcd: { endpoints: [http://127.0.0.1:2379] }
                    store: { bucket: snaps }
                    schedule: { cron: "0 * * * *", blackouts: ["Mon-Fri 08:00-18:00", "lunchtime"], preferred: ["Caturday 01:00-02:00"] }
                """);
        assertThat(result.problems())
                .extracting(FleetProblem::toString)
                .containsExactlyInAnyOrder(
                        "cluster 'c1': schedule.blackouts[1]: 'lunchtime' is not a window like \"Mon-Fri 08:00-18:00\" or \"22:00-06:00\"",
                        "cluster 'c1': schedule.preferred[0]: 'Caturday' is not a day of the week");
    }

    @Test
    void keepsEncryptionKeysAwayFromSnapshots() {
        FleetParser.Result result = FleetParser.parseDocument("""
                clusters:
                  - id: c1
                    etcd: { endpoints: [http://127.0.0.1:2379] }
                    store: { bucket: snaps, prefix: c1, keyStore: { bucket: snaps, prefix: c1/ } }
                """);
        assertThat(result.problems())
                .extracting(FleetProblem::key)
                .containsExactly("store.keyStore", "store.keyStore.encryption");
    }

    @Test
    void sealsKeyBundlesWithAKeyOfTheirOwnAndNamesEveryOldKeysProblem(@TempDir Path dir) throws IOException {
        Path key = Files.writeString(dir.resolve("snap.key"), "x");
        FleetParser.Result result = FleetParser.parseDocument("""
                clusters:
                  - id: c1
                    etcd: { endpoints: [http://127.0.0.1:2379] }
                    store:
                      bucket: snaps
                      encryption: { keyFile: %s, keyId: k2, previous: [{ keyFile: %s, keyId: k1 }, { keyId: k0 }] }
                      keyStore: { bucket: keys, encryption: { keyFile: %s } }
                """.formatted(key, dir.resolve("gone.key"), key));
        assertThat(result.problems())
                .extracting(FleetProblem::toString)
                .containsExactlyInAnyOrder(
                        "cluster 'c1': store.encryption.previous[0].keyFile: file " + dir.resolve("gone.key")
                                + " does not exist or is not readable",
                        "cluster 'c1': store.encryption.previous[1]: needs exactly one of keyFile or secret",
                        "cluster 'c1': store.keyStore.encryption.keyFile: must not be the snapshots' key: whoever holds one"
                                + " must not hold both");
    }

    @Test
    void rejectsDocumentsThatAreNotAFleet() {
        assertThat(FleetParser.parseDocument("clusters: [").problems())
                .singleElement()
                .satisfies(p -> assertThat(p.reason()).startsWith("not valid YAML"));
        assertThat(FleetParser.parseDocument("clusterz: []").problems())
                .extracting(FleetProblem::key)
                .containsExactly("clusterz");
    }

    @Test
    void clustersOfOneStorageDomainShareOneStore() {
        FleetParser.Result result = FleetParser.parseDocument("""
                defaults:
                  store: { bucket: etcd-snapshots, prefix: fleet }
                  etcd: { endpoints: [http://127.0.0.1:2379] }
                clusters:
                  - id: a
                    storageDomain: array-7
                  - id: b
                    storageDomain: array-7
                  - id: elsewhere
                    storageDomain: array-7
                    store: { bucket: other-bucket }
                  - id: other-domain
                    storageDomain: array-8
                    store: { bucket: other-bucket }
                  - id: bad
                    storageDomain: "Array 7!"
                """);
        assertThat(result.clusters()).containsOnlyKeys("a", "b", "other-domain");
        assertThat(result.clusters().get("a").storageDomain()).isEqualTo("array-7");
        assertThat(result.problems())
                .extracting(FleetProblem::toString)
                .anySatisfy(p -> assertThat(p)
                        .startsWith("cluster 'elsewhere': storageDomain: clusters of storage domain 'array-7' must"
                                + " share one store")
                        .contains("'a' uses s3 bucket etcd-snapshots prefix 'fleet/', this one s3 bucket other-bucket"))
                .anySatisfy(p -> assertThat(p).startsWith("cluster 'bad': storageDomain: must be a DNS name"));
    }
}
