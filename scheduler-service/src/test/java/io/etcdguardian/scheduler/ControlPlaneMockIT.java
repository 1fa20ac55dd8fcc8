package io.etcdguardian.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.MockKubeconfig;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.BackupSkipped;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.scheduler.leader.LeaderElection;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeds' control-plane rules, read from an OpenShift API (fabric8 mock server, CRUD): a backup
 * after every completed upgrade, none in the first 24 h, none while encryption is in progress.
 */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(BackplaneExtension.class)
class ControlPlaneMockIT {
    private static final ResourceDefinitionContext CLUSTER_VERSION =
            context("config.openshift.io", "ClusterVersion", "clusterversions");
    private static final ResourceDefinitionContext OPENSHIFT_API_SERVER = new ResourceDefinitionContext.Builder()
            .withGroup("operator.openshift.io")
            .withVersion("v1")
            .withKind("OpenShiftAPIServer")
            .withPlural("openshiftapiservers")
            .withNamespaced(false)
            .build();

    private static final ResourceDefinitionContext AUTHENTICATION = new ResourceDefinitionContext.Builder()
            .withGroup("operator.openshift.io")
            .withVersion("v1")
            .withKind("Authentication")
            .withPlural("authentications")
            .withNamespaced(false)
            .build();

    static KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void backsUpAfterAnUpgradeButNotWhileYoungOrEncrypting(Backplane backplane) throws Exception {
        String cluster = "ocp-" + UUID.randomUUID().toString().substring(0, 6);
        // the mock stamps creationTimestamp with the real time: run the scheduler's clock two days later
        Instant base = Instant.now().plus(Duration.ofDays(2)).truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        MutableClock clock = new MutableClock(base.plusSeconds(30));
        client.genericKubernetesResources(CLUSTER_VERSION)
                .resource(clusterVersion(
                        "2026-11-01T00:00:00Z", List.of(Map.of("state", "Completed", "version", "4.14.1"))))
                .create();
        Path kubeconfig = MockKubeconfig.write(
                dir.resolve("kubeconfig"), client.getConfiguration().getMasterUrl(), null);
        Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                clusters:
                  - id: %s
                    etcd: { endpoints: [http://127.0.0.1:2379] }
                    store: { bucket: etcd-snapshots }
                    schedule: { cron: "*/5 * * * *" }
                    kubernetes: { kind: openshift, kubeconfig: %s }
                """.formatted(cluster, kubeconfig));
        try (ApplicationContext context = ApplicationContext.builder()
                        .singletons(clock)
                        .properties(Map.of(
                                "kafka.bootstrap.servers",
                                backplane.kafka().bootstrapServers(),
                                "guardian.fleet.file",
                                fleet.toString(),
                                "guardian.fleet.topic.enabled",
                                "false",
                                "guardian.scheduler.tick",
                                "100ms",
                                "guardian.scheduler.upgrade-poll-interval",
                                "200ms",
                                "guardian.scheduler.leader-group",
                                "leader-" + cluster))
                        .start();
                EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                EventStream.Follower requests = stream.follow(Topics.BACKUP_REQUESTS);
                EventStream.Follower skips = stream.follow(Topics.SCHEDULER_EVENTS)) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> context.getBean(LeaderElection.class).isLeader());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> context.getBean(io.etcdguardian.scheduler.schedule.ScheduleState.class)
                            .get(cluster + "/upgrade")
                            .isPresent());

            // the upgrade to 4.14.2 completes: a backup of the new z-stream
            // (status is a subresource: the cluster-version operator writes it, here the test does)
            GenericKubernetesResource upgraded = clusterVersion(
                    "2026-11-01T00:00:00Z",
                    List.of(
                            Map.of("state", "Completed", "version", "4.14.2"),
                            Map.of("state", "Completed", "version", "4.14.1")));
            upgraded.getMetadata()
                    .setResourceVersion(client.genericKubernetesResources(CLUSTER_VERSION)
                            .withName("version")
                            .get()
                            .getMetadata()
                            .getResourceVersion());
            client.genericKubernetesResources(CLUSTER_VERSION)
                    .resource(upgraded)
                    .updateStatus();
            BackupRequested upgrade = (BackupRequested) requests.await(
                            e -> e instanceof BackupRequested r && r.clusterId().equals(cluster),
                            Duration.ofSeconds(20))
                    .orElseThrow();
            assertThat(upgrade.trigger()).isEqualTo(Trigger.UPGRADE);
            assertThat(upgrade.reason()).isEqualTo("upgraded from 4.14.1 to 4.14.2");

            // while encryption runs, the scheduled slot is skipped with the condition's reason
            client.genericKubernetesResources(OPENSHIFT_API_SERVER)
                    .resource(new GenericKubernetesResourceBuilder()
                            .withApiVersion("operator.openshift.io/v1")
                            .withKind("OpenShiftAPIServer")
                            .withNewMetadata()
                            .withName("cluster")
                            .endMetadata()
                            .addToAdditionalProperties(
                                    "status",
                                    Map.of(
                                            "conditions",
                                            List.of(Map.of(
                                                    "type",
                                                    "Encrypted",
                                                    "status",
                                                    "False",
                                                    "reason",
                                                    "EncryptionInProgress"))))
                            .build())
                    .create();
            context.getBean(io.etcdguardian.scheduler.guard.InFlight.class)
                    .finished(cluster, upgradeId(requests, upgrade));
            clock.set(base.plusSeconds(301));
            BackupSkipped encrypting = (BackupSkipped) skips.await(
                            e -> e instanceof BackupSkipped s && s.clusterId().equals(cluster), Duration.ofSeconds(20))
                    .orElseThrow();
            assertThat(encrypting.reason()).isEqualTo(Reason.ENCRYPTION_IN_PROGRESS);
            assertThat(encrypting.detail()).contains("EncryptionInProgress");

            // any of the three operators migrating stops a backup: the OAuth API server's (Authentication) too
            var cluster0 = context.getBean(io.etcdguardian.common.fleet.FleetRegistry.class)
                    .require(cluster);
            client.genericKubernetesResources(OPENSHIFT_API_SERVER)
                    .withName("cluster")
                    .delete();
            client.genericKubernetesResources(AUTHENTICATION)
                    .resource(new GenericKubernetesResourceBuilder()
                            .withApiVersion("operator.openshift.io/v1")
                            .withKind("Authentication")
                            .withNewMetadata()
                            .withName("cluster")
                            .endMetadata()
                            .addToAdditionalProperties(
                                    "status",
                                    Map.of(
                                            "conditions",
                                            List.of(Map.of(
                                                    "type",
                                                    "Encrypted",
                                                    "status",
                                                    "False",
                                                    "reason",
                                                    "DecryptionInProgress"))))
                            .build())
                    .create();
            assertThat(context.getBean(io.etcdguardian.scheduler.guard.BackupGuards.class)
                            .check(cluster0, Trigger.ON_DEMAND, null))
                    .hasValueSatisfying(skip -> {
                        assertThat(skip.reason()).isEqualTo(Reason.ENCRYPTION_IN_PROGRESS);
                        assertThat(skip.detail()).contains("DecryptionInProgress");
                    });
            client.genericKubernetesResources(AUTHENTICATION)
                    .withName("cluster")
                    .delete();

            // a cluster created an hour ago is too young for a backup (certificates not yet rotated)
            clock.set(Instant.now().plus(Duration.ofHours(1)));
            assertThat(context.getBean(io.etcdguardian.scheduler.guard.BackupGuards.class)
                            .check(cluster0, Trigger.ON_DEMAND, null))
                    .hasValueSatisfying(skip -> {
                        assertThat(skip.reason()).isEqualTo(Reason.TOO_YOUNG);
                        assertThat(skip.detail()).contains("before the first certificate rotation");
                    });
        }
    }

    /** The in-flight request is the upgrade backup: clear it as snapshot-service's answer would. */
    private static String upgradeId(EventStream.Follower ignored, BackupRequested upgrade) {
        return io.etcdguardian.common.event.EventEnvelope.deterministicId(
                "upgrade/" + upgrade.clusterId() + "/4.14.2", BackupRequested.TYPE);
    }

    private static GenericKubernetesResource clusterVersion(String created, List<Map<String, Object>> history) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion("config.openshift.io/v1")
                .withKind("ClusterVersion")
                .withNewMetadata()
                .withName("version")
                .withCreationTimestamp(created)
                .endMetadata()
                .addToAdditionalProperties("status", Map.of("history", history))
                .build();
    }

    private static ResourceDefinitionContext context(String group, String kind, String plural) {
        return new ResourceDefinitionContext.Builder()
                .withGroup(group)
                .withVersion("v1")
                .withKind(kind)
                .withPlural(plural)
                .withNamespaced(false)
                .build();
    }
}
