package io.etcdguardian.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.TopicAccess;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.Test;

/** Renders the chart in the JVM (helm-java) and parses every object with fabric8. */
class ChartRenderTest {
    private static final Path CHART = Path.of("helm", "etcd-guardian");

    @Test
    void defaultsRenderADeploymentPerServiceWithProbesAndLeastPrivilege() {
        List<HasMetadata> objects = render(Map.of("controlPlaneNamespaces[0]", "clusters-hc1"));
        List<Deployment> deployments = of(objects, Deployment.class);
        assertThat(deployments)
                .extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "g-scheduler-service", "g-snapshot-service", "g-health-service", "g-restore-service");
        assertThat(deployments).allSatisfy(d -> {
            var container = d.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/readiness");
            assertThat(container.getReadinessProbe().getHttpGet().getPort().getStrVal())
                    .as("health is on the management" + " port")
                    .isEqualTo("management");
            assertThat(container.getEnv()).extracting(e -> e.getName()).contains("GUARDIAN_MANAGEMENT_PORT");
            assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/liveness");
            assertThat(container.getEnv())
                    .extracting(e -> e.getName())
                    .contains("KAFKA_BOOTSTRAP_SERVERS", "GUARDIAN_FLEET_FILE", "GUARDIAN_HTTP_PORT");
            assertThat(container.getImage())
                    .startsWith("ghcr.io/etcd-guardian/")
                    .endsWith(":0.1.0");
            assertThat(container.getSecurityContext().getReadOnlyRootFilesystem())
                    .isTrue();
            assertThat(javaToolOptions(container))
                    .as("the collector pinned, whatever the limit")
                    .contains("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")
                    .containsPattern("-XX:MaxRAMPercentage=\\d+ ");

            assertThat(d.getSpec().getTemplate().getSpec().getServiceAccountName())
                    .isEqualTo(d.getMetadata().getName());
        });
        var snapshot = container(objects, "g-snapshot-service");
        assertThat(javaToolOptions(snapshot))
                .as("half the limit for the heap: part buffers and metaspace live beside it")
                .contains("-XX:MaxRAMPercentage=50 ");
        assertThat(snapshot.getResources().getLimits().get("memory").toString()).isEqualTo("768Mi");
        assertThat(javaToolOptions(container(objects, "g-restore-service")))
                .as("a restore's heap at its maximum and what lives beside it fit in 512Mi")
                .contains("-XX:MaxRAMPercentage=50 ");
        assertThat(of(objects, ServiceAccount.class))
                .filteredOn(sa -> !sa.getMetadata().getName().equals("g-backup-set"))
                .hasSize(4)
                .filteredOn(sa -> sa.getMetadata().getName().equals("g-health-service"))
                .singleElement()
                .satisfies(sa -> assertThat(sa.getAutomountServiceAccountToken())
                        .as("health-service needs no API access")
                        .isFalse());

        // only restore-service may change things, and only what a restore needs
        Map<String, List<String>> verbs = new java.util.TreeMap<>();
        of(objects, ClusterRole.class).forEach(r -> verbs.put(r.getMetadata().getName(), verbs(r.getRules())));
        of(objects, Role.class)
                .forEach(r -> verbs.merge(r.getMetadata().getName(), verbs(r.getRules()), (a, b) -> {
                    List<String> all = new ArrayList<>(a);
                    all.addAll(b);
                    return all;
                }));
        assertThat(verbs.get("g-scheduler-service")).allMatch(v -> v.equals("get") || v.equals("list"));
        assertThat(verbs.get("g-snapshot-service")).allMatch(v -> v.equals("get") || v.equals("list"));
        assertThat(verbs.get("g-snapshot-service-keys")).allMatch(v -> v.equals("get") || v.equals("list"));
        assertThat(verbs.get("g-restore-service")).contains("patch", "delete", "create");
        Role restore = of(objects, Role.class).stream()
                .filter(r -> r.getMetadata().getName().equals("g-restore-service"))
                .findFirst()
                .orElseThrow();
        assertThat(restore.getMetadata().getNamespace()).isEqualTo("clusters-hc1");

        List<GenericKubernetesResource> custom = of(objects, GenericKubernetesResource.class);
        assertThat(custom).extracting(GenericKubernetesResource::getKind).contains("ServiceMonitor", "PrometheusRule");
        String rules = Serialization.asYaml(custom.stream()
                .filter(c -> c.getKind().equals("PrometheusRule"))
                .findFirst()
                .orElseThrow());
        assertThat(rules)
                .contains(
                        "etcdDatabaseQuotaLowSpace",
                        "etcdDatabaseHighFragmentationRatio",
                        "etcdExcessiveDatabaseGrowth",
                        "etcdMembersDown",
                        "guardian_snapshot_last_success_timestamp",
                        "EtcdGuardianRestorableBackupTooOld",
                        "EtcdGuardianNoRestorableBackup",
                        "time() - guardian_snapshot_restorable_timestamp > on (cluster) guardian_backup_slo_max_age_seconds");
    }

    @Test
    void kafkaTlsSaslAndStrimziTopicsWithoutASecretInTheManifests() {
        List<HasMetadata> objects = render(Map.of(
                "kafka.tls.enabled",
                "true",
                "kafka.tls.caSecret",
                "kafka-ca",
                "kafka.sasl.enabled",
                "true",
                "kafka.sasl.jaasConfigSecret",
                "guardian-kafka-user",
                "s3.credentialsSecret",
                "guardian-s3",
                "strimzi.topics",
                "true",
                "security.tokensSecret",
                "guardian-tokens"));
        Deployment snapshot = of(objects, Deployment.class).stream()
                .filter(d -> d.getMetadata().getName().equals("g-snapshot-service"))
                .findFirst()
                .orElseThrow();
        var env = snapshot.getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv();
        assertThat(env)
                .filteredOn(e -> e.getName().equals("KAFKA_SECURITY_PROTOCOL"))
                .singleElement()
                .extracting(e -> e.getValue())
                .isEqualTo("SASL_SSL");
        assertThat(env)
                .filteredOn(e -> e.getName().equals("KAFKA_SASL_JAAS_CONFIG"))
                .singleElement()
                .satisfies(e ->
                        assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("guardian-kafka-user"));
        assertThat(snapshot.getSpec().getTemplate().getSpec().getVolumes())
                .extracting(v -> v.getName())
                .contains("s3", "kafka-ca", "spool", "fleet", "tokens");
        assertThat(env)
                .filteredOn(e -> e.getName().equals("GUARDIAN_SECURITY_TOKENS_FILE"))
                .singleElement()
                .extracting(e -> e.getValue())
                .isEqualTo("/etc/guardian/tokens/tokens");

        Map<String, Integer> topics = of(objects, GenericKubernetesResource.class).stream()
                .filter(c -> c.getKind().equals("KafkaTopic"))
                .collect(Collectors.toMap(
                        t -> (String) ((Map<?, ?>) t.getAdditionalProperties().get("spec")).get("topicName"),
                        t -> ((Number) ((Map<?, ?>) t.getAdditionalProperties().get("spec")).get("partitions"))
                                .intValue()));
        assertThat(topics)
                .as("the chart's topics are the code's")
                .isEqualTo(
                        Topics.all().stream().collect(Collectors.toMap(Topics.Topic::name, Topics.Topic::partitions)));
        // the operations journal's keys are one-off operation ids: compaction alone would keep them forever
        Map<String, Map<?, ?>> configs = of(objects, GenericKubernetesResource.class).stream()
                .filter(c -> c.getKind().equals("KafkaTopic"))
                .collect(Collectors.toMap(
                        t -> (String) ((Map<?, ?>) t.getAdditionalProperties().get("spec")).get("topicName"),
                        t -> (Map<?, ?>)
                                ((Map<?, ?>) t.getAdditionalProperties().get("spec")).get("config")));
        assertThat(configs.get(Topics.OPERATIONS).get("cleanup.policy")).isEqualTo("compact,delete");
        assertThat(((Number) configs.get(Topics.OPERATIONS).get("retention.ms")).longValue())
                .isEqualTo(Topics.OPERATIONS_RETENTION.toMillis());
        assertThat(configs.get(Topics.SCHEDULER_STATE).get("cleanup.policy")).isEqualTo("compact");
    }

    /**
     * Every rule of every Role and ClusterRole, spelled out: a widened rule (a verb, a resource, a
     * namespace, a dropped resourceNames) fails here and has to be argued for in review.
     */
    @Test
    void everyRbacRuleIsTheReviewedOneAndNoServiceReadsSecretsClusterWide() {
        List<HasMetadata> objects = render(Map.of(
                "controlPlaneNamespaces[0]",
                "clusters-hc1",
                "encryptionKeys.hostedSecrets.clusters[0]",
                "hc1-etcd-encryption-key",
                "encryptionKeys.hostedSecrets.clusters[1]",
                "hc1-etcd-encryption-key-backup"));
        Set<String> rules = new TreeSet<>();
        for (ClusterRole role : of(objects, ClusterRole.class)) {
            role.getRules()
                    .forEach(r ->
                            describe(rules, "ClusterRole " + role.getMetadata().getName(), r));
        }
        for (Role role : of(objects, Role.class)) {
            role.getRules()
                    .forEach(r -> describe(
                            rules,
                            "Role " + role.getMetadata().getName() + "@"
                                    + role.getMetadata().getNamespace(),
                            r));
        }
        assertThat(rules)
                .containsExactlyInAnyOrder(
                        "ClusterRole g-scheduler-service config.openshift.io/clusterversions get",
                        "ClusterRole g-scheduler-service config.openshift.io/clusterversions list",
                        "ClusterRole g-scheduler-service operator.openshift.io/openshiftapiservers get",
                        "ClusterRole g-scheduler-service operator.openshift.io/kubeapiservers get",
                        "ClusterRole g-scheduler-service operator.openshift.io/authentications get",
                        "ClusterRole g-scheduler-service hypershift.openshift.io/hostedclusters get",
                        "ClusterRole g-scheduler-service hypershift.openshift.io/hostedclusters list",
                        "ClusterRole g-snapshot-service config.openshift.io/clusterversions get",
                        "ClusterRole g-snapshot-service config.openshift.io/apiservers get",
                        "ClusterRole g-snapshot-service hypershift.openshift.io/hostedclusters get",
                        "ClusterRole g-snapshot-service config.openshift.io/clusteroperators get [kube-apiserver, kube-controller-manager, kube-scheduler, etcd]",
                        "Role g-snapshot-service-backup-sets@openshift-etcd batch/jobs create",
                        "Role g-snapshot-service-backup-sets@openshift-etcd batch/jobs get",
                        "Role g-snapshot-service-backup-sets@openshift-etcd batch/jobs delete",
                        "Role g-snapshot-service-backup-sets@openshift-etcd core/secrets create",
                        "Role g-snapshot-service-backup-sets@openshift-etcd core/secrets delete",
                        "Role g-snapshot-service-backup-sets@openshift-etcd core/pods list",
                        "Role g-snapshot-service-keys@openshift-config-managed core/secrets get",
                        "Role g-snapshot-service-keys@openshift-config-managed core/secrets list",
                        "Role g-hosted-keys@clusters core/secrets get [hc1-etcd-encryption-key, hc1-etcd-encryption-key-backup]",
                        "ClusterRole g-restore-service hypershift.openshift.io/hostedclusters get",
                        "ClusterRole g-restore-service hypershift.openshift.io/hostedclusters patch",
                        "ClusterRole g-restore-service hypershift.openshift.io/hostedclusters create",
                        "Role g-restore-service-keys@clusters core/secrets create",
                        "ClusterRole g-restore-service config.openshift.io/clusterversions get",
                        "ClusterRole g-restore-service operator.openshift.io/etcds get",
                        "ClusterRole g-restore-service operator.openshift.io/etcds patch",
                        "ClusterRole g-restore-service operator.openshift.io/kubeapiservers get",
                        "ClusterRole g-restore-service operator.openshift.io/kubeapiservers patch",
                        "ClusterRole g-restore-service operator.openshift.io/kubecontrollermanagers get",
                        "ClusterRole g-restore-service operator.openshift.io/kubecontrollermanagers patch",
                        "ClusterRole g-restore-service operator.openshift.io/kubeschedulers get",
                        "ClusterRole g-restore-service operator.openshift.io/kubeschedulers patch",
                        "ClusterRole g-restore-service certificates.k8s.io/certificatesigningrequests get",
                        "ClusterRole g-restore-service certificates.k8s.io/certificatesigningrequests list",
                        "ClusterRole g-restore-service certificates.k8s.io/certificatesigningrequests/approval update",
                        "ClusterRole g-restore-service certificates.k8s.io/signers approve [kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kubelet-serving]",
                        "ClusterRole g-restore-service core/nodes list",
                        "Role g-restore-service-members@openshift-etcd core/pods list",
                        "Role g-restore-service@clusters-hc1 apps/deployments get",
                        "Role g-restore-service@clusters-hc1 apps/deployments patch",
                        "Role g-restore-service@clusters-hc1 apps/statefulsets get",
                        "Role g-restore-service@clusters-hc1 apps/statefulsets patch",
                        "Role g-restore-service@clusters-hc1 core/persistentvolumeclaims delete",
                        "Role g-restore-service@clusters-hc1 core/secrets create",
                        "Role g-restore-service@clusters-hc1 core/secrets update",
                        "Role g-restore-service@clusters-hc1 core/secrets delete",
                        "Role g-restore-service@clusters-hc1 batch/jobs create",
                        "Role g-restore-service@clusters-hc1 batch/jobs get",
                        "Role g-restore-service@clusters-hc1 batch/jobs delete",
                        "Role g-restore-service@clusters-hc1 hypershift.openshift.io/hostedcontrolplanes get");
        assertThat(objects)
                .filteredOn(o -> o.getKind().equals("RoleBinding")
                        && o.getMetadata().getName().equals("g-hosted-keys"))
                .singleElement()
                .satisfies(b -> assertThat(((io.fabric8.kubernetes.api.model.rbac.RoleBinding) b).getSubjects())
                        .extracting(sub -> sub.getName())
                        .containsExactlyInAnyOrder("g-snapshot-service", "g-restore-service"));
        // the backup-set Job's identity: no token, the privileged SCC only, only in openshift-etcd
        assertThat(of(objects, ServiceAccount.class))
                .filteredOn(sa -> sa.getMetadata().getName().equals("g-backup-set"))
                .singleElement()
                .satisfies(sa -> {
                    assertThat(sa.getMetadata().getNamespace()).isEqualTo("openshift-etcd");
                    assertThat(sa.getAutomountServiceAccountToken()).isFalse();
                });
        assertThat(objects)
                .filteredOn(o -> o.getKind().equals("RoleBinding")
                        && o.getMetadata().getName().equals("g-backup-set-privileged"))
                .singleElement()
                .satisfies(b -> {
                    var binding = (io.fabric8.kubernetes.api.model.rbac.RoleBinding) b;
                    assertThat(binding.getRoleRef().getName()).isEqualTo("system:openshift:scc:privileged");
                    assertThat(binding.getSubjects())
                            .extracting(sub -> sub.getName())
                            .containsExactly("g-backup-set");
                });
        assertThat(render(Map.of("openshiftBackupSets", "false")))
                .as("off: no Job may be run")
                .noneMatch(o -> Serialization.asYaml(o).contains("backup-set"));
        assertThat(objects)
                .as("health-service is bound to nothing")
                .filteredOn(o -> o.getKind().endsWith("Binding"))
                .noneMatch(b -> Serialization.asYaml(b).contains("g-health-service"));

        // each service's HTTP port answers only its callers
        List<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy> policies =
                of(objects, io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class);
        assertThat(policies).hasSize(4).allSatisfy(p -> {
            assertThat(p.getSpec().getPolicyTypes()).containsExactly("Ingress");
            assertThat(p.getSpec().getIngress()).hasSize(2).allSatisfy(rule -> {
                assertThat(rule.getPorts()).singleElement();
                assertThat(rule.getFrom())
                        .isNotEmpty()
                        .allSatisfy(peer -> assertThat(peer.getNamespaceSelector())
                                .as("no peer is 'everyone'")
                                .isNotNull());
            });
            var api = p.getSpec().getIngress().get(0);
            var management = p.getSpec().getIngress().get(1);
            assertThat(management.getPorts().get(0).getPort().getIntVal())
                    .as("metrics port")
                    .isBetween(9081, 9084);
            assertThat(Serialization.asYaml(management))
                    .as("only Prometheus scrapes")
                    .contains("prometheus")
                    .doesNotContain("guardian-operators");
            assertThat(Serialization.asYaml(api))
                    .as("Prometheus has no business on the API")
                    .doesNotContain("prometheus");
        });
        assertThat(policies)
                .filteredOn(p -> p.getMetadata().getName().equals("g-health-service"))
                .singleElement()
                .satisfies(p -> assertThat(
                                Serialization.asYaml(p.getSpec().getIngress().get(0)))
                        .contains("alertmanager"));
        assertThat(policies)
                .filteredOn(p -> !p.getMetadata().getName().equals("g-health-service"))
                .allSatisfy(p -> assertThat(Serialization.asYaml(p)).doesNotContain("alertmanager"));
    }

    private static void describe(Set<String> rules, String role, PolicyRule rule) {
        for (String group : rule.getApiGroups()) {
            for (String resource : rule.getResources()) {
                for (String verb : rule.getVerbs()) {
                    String names = rule.getResourceNames() == null
                                    || rule.getResourceNames().isEmpty()
                            ? ""
                            : " " + rule.getResourceNames();
                    rules.add(role + " " + (group.isEmpty() ? "core" : group) + "/" + resource + " " + verb + names);
                }
            }
        }
    }

    @Test
    void strimziUsersGrantExactlyWhatTopicAccessGrantsAndEachServiceLogsInAsItself() {
        List<HasMetadata> objects =
                render(Map.of("strimzi.users", "true", "kafka.tls.enabled", "true", "kafka.tls.caSecret", "kafka-ca"));
        Set<String> rendered = new TreeSet<>();
        List<GenericKubernetesResource> users = of(objects, GenericKubernetesResource.class).stream()
                .filter(c -> c.getKind().equals("KafkaUser"))
                .toList();
        assertThat(users)
                .extracting(u -> u.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "g-scheduler-service",
                        "g-snapshot-service",
                        "g-health-service",
                        "g-restore-service",
                        "g-guardianctl");
        for (GenericKubernetesResource user : users) {
            String name = user.getMetadata().getName().substring("g-".length());
            Map<?, ?> spec = (Map<?, ?>) user.getAdditionalProperties().get("spec");
            assertThat(((Map<?, ?>) spec.get("authentication")).get("type")).isEqualTo("scram-sha-512");
            for (Object entry : (List<?>) ((Map<?, ?>) spec.get("authorization")).get("acls")) {
                Map<?, ?> resource = (Map<?, ?>) ((Map<?, ?>) entry).get("resource");
                for (Object operation : (List<?>) ((Map<?, ?>) entry).get("operations")) {
                    rendered.add(String.join(
                            " ",
                            name,
                            (String) resource.get("type"),
                            (String) resource.get("name"),
                            (String) resource.get("patternType"),
                            (String) operation));
                }
            }
        }
        // every grant of the table, and nothing else: a widened ACL in the chart fails here
        Set<String> expected = new TreeSet<>();
        for (TopicAccess.Grant grant : TopicAccess.topics()) {
            expected.add(String.join(
                    " ",
                    grant.user(),
                    "topic",
                    grant.topic(),
                    "literal",
                    grant.access() == TopicAccess.Access.READ ? "Read" : "Write"));
            expected.add(String.join(" ", grant.user(), "topic", grant.topic(), "literal", "Describe"));
        }
        for (TopicAccess.GroupGrant grant : TopicAccess.groups()) {
            expected.add(String.join(
                    " ",
                    grant.user(),
                    "group",
                    grant.group(),
                    grant.prefix() ? "prefix" : "literal",
                    grant.operation() == AclOperation.READ ? "Read" : "Describe"));
        }
        assertThat(rendered).isEqualTo(expected);
        assertThat(rendered)
                .noneMatch(r -> r.contains(Topics.FLEET_CONFIG + " literal Write"))
                .noneMatch(r -> r.startsWith("snapshot-service topic " + Topics.RESTORE_REQUESTS));

        var env = container(objects, "g-restore-service").getEnv();
        assertThat(env)
                .filteredOn(e -> e.getName().equals("KAFKA_SASL_JAAS_CONFIG"))
                .singleElement()
                .satisfies(e ->
                        assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("g-restore-service"));
        assertThat(env)
                .filteredOn(e -> e.getName().equals("KAFKA_SECURITY_PROTOCOL"))
                .singleElement()
                .extracting(e -> e.getValue())
                .isEqualTo("SASL_SSL");
        assertThat(env)
                .filteredOn(e -> e.getName().equals("KAFKA_HEALTH_RESTRICTED"))
                .singleElement()
                .extracting(e -> e.getValue())
                .isEqualTo("true");

        List<HasMetadata> mtls = render(Map.of(
                "strimzi.users",
                "true",
                "strimzi.userAuthentication",
                "tls",
                "kafka.tls.enabled",
                "true",
                "kafka.tls.caSecret",
                "kafka-ca"));
        var mtlsEnv = container(mtls, "g-health-service").getEnv();
        assertThat(mtlsEnv)
                .extracting(e -> e.getName())
                .doesNotContain("KAFKA_SASL_JAAS_CONFIG")
                .contains("KAFKA_SSL_KEYSTORE_LOCATION");
        assertThat(mtlsEnv)
                .filteredOn(e -> e.getName().equals("KAFKA_SSL_KEYSTORE_PASSWORD"))
                .singleElement()
                .satisfies(e ->
                        assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("g-health-service"));
        assertThat(mtlsEnv)
                .filteredOn(e -> e.getName().equals("KAFKA_SECURITY_PROTOCOL"))
                .singleElement()
                .extracting(e -> e.getValue())
                .isEqualTo("SSL");
        assertThatThrownBy(() -> render(Map.of("strimzi.users", "true", "strimzi.userAuthentication", "tls")))
                .hasStackTraceContaining("needs kafka.tls.enabled");
        assertThatThrownBy(() -> render(Map.of("strimzi.users", "true", "strimzi.userAuthentication", "plain")))
                .hasStackTraceContaining("is neither scram-sha-512 nor tls");
    }

    /** The one JAVA_TOOL_OPTIONS of a container (fails when there is none, or more than one). */
    private static String javaToolOptions(io.fabric8.kubernetes.api.model.Container container) {
        List<String> values = container.getEnv().stream()
                .filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS"))
                .map(io.fabric8.kubernetes.api.model.EnvVar::getValue)
                .toList();
        assertThat(values).as("JAVA_TOOL_OPTIONS of " + container.getName()).hasSize(1);
        return values.get(0);
    }

    private static io.fabric8.kubernetes.api.model.Container container(List<HasMetadata> objects, String deployment) {
        return of(objects, Deployment.class).stream()
                .filter(d -> d.getMetadata().getName().equals(deployment))
                .findFirst()
                .orElseThrow()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
    }

    @Test
    void theDashboardShipsForGrafanasSidecarAndQueriesOnlyGuardianMetrics() throws Exception {
        ConfigMap dashboard = of(render(Map.of()), ConfigMap.class).stream()
                .filter(c -> c.getMetadata().getName().equals("g-dashboard"))
                .findFirst()
                .orElseThrow();
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(dashboard.getData().get("etcd-guardian.json"));
        assertThat(json.path("uid").asText()).isEqualTo("etcd-guardian");
        assertThat(json.path("panels")).hasSizeGreaterThanOrEqualTo(10).allSatisfy(panel -> {
            assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
            panel.path("targets")
                    .forEach(t -> assertThat(t.path("expr").asText()).contains("guardian_"));
        });
        assertThat(of(render(Map.of("grafanaDashboard.enabled", "false")), ConfigMap.class))
                .noneMatch(c -> c.getMetadata().getName().equals("g-dashboard"));
    }

    private static List<HasMetadata> render(Map<String, String> values) {
        var template = new Helm(CHART).template().withName("g").withNamespace("guardian");
        values.forEach(template::set);
        String yaml = template.call();
        // the secrets scan of every rendering: the chart takes secrets by name only, so none may be in it
        assertThat(yaml)
                .doesNotContainIgnoringCase("secretAccessKey")
                .doesNotContain("X-Amz-Signature")
                .doesNotContain("PRIVATE KEY")
                .doesNotContain("gdn_")
                .doesNotContainPattern("(?m)^kind: Secret$")
                .doesNotContainPattern("(?i)password\\s*[=:]\\s*\\S")
                .doesNotContainIgnoringCase("aescbc")
                .doesNotContainIgnoringCase("secretbox");
        List<HasMetadata> objects = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.lines().anyMatch(l -> l.startsWith("kind:"))) {
                Object parsed = new io.fabric8.kubernetes.client.utils.KubernetesSerialization()
                        .unmarshal(new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8)));
                objects.add((HasMetadata) parsed);
            }
        }
        assertThat(objects)
                .isNotEmpty()
                .allSatisfy(o -> assertThat(o.getMetadata().getName()).isNotBlank());
        of(objects, Deployment.class)
                .forEach(d -> d.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .forEach(c -> assertThat(c.getEnv())
                                .as("a secret-like variable of "
                                        + d.getMetadata().getName() + " comes from a Secret")
                                .filteredOn(e -> e.getName().matches("(?i).*(password|secret|token|jaas|credential).*")
                                        && !e.getName().endsWith("_FILE")
                                        && !e.getName().endsWith("_DIR"))
                                .allMatch(e -> e.getValue() == null)));
        return objects;
    }

    private static <T> List<T> of(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static List<String> verbs(List<PolicyRule> rules) {
        return rules.stream().flatMap(r -> r.getVerbs().stream()).toList();
    }
}
