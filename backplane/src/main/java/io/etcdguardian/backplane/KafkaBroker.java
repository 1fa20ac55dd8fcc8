package io.etcdguardian.backplane;

import io.etcdguardian.common.security.OwnerOnlyFile;
import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.FreePorts;
import io.etcdguardian.localetcd.Readiness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A single-node Kafka in KRaft mode (broker and controller in one JVM), run from the jars that
 * `backplane-components` collects, formatted once with a dynamic (`--standalone`) quorum.
 *
 * <p>Secured ({@code secured}): clients reach it only over TLS — SASL_SSL with SCRAM-SHA-512 on
 * {@code port}, mutual TLS on {@code mtlsPort} — and the controller only with the broker's own
 * certificate; every user is created at format time, and nothing is allowed that an ACL does not grant
 * ({@link #grant}). Plaintext: one PLAINTEXT listener, as a developer's broker.
 */
public record KafkaBroker(Path dir, int port, int controllerPort, boolean secured, int mtlsPort) {

    public static KafkaBroker plan(Path dir) {
        return plan(dir, false);
    }

    public static KafkaBroker plan(Path dir, boolean secured) {
        return new KafkaBroker(dir, FreePorts.next(), FreePorts.next(), secured, secured ? FreePorts.next() : 0);
    }

    /** Where a mutual-TLS client connects (secured brokers only). */
    public String mtlsBootstrapServers() {
        if (!secured) {
            throw new IllegalStateException("the local Kafka is not secured: it has no mTLS listener");
        }
        return "127.0.0.1:" + mtlsPort;
    }

    /** The users, certificates and passwords of a secured broker. */
    public KafkaCredentials credentials() {
        if (!secured) {
            throw new IllegalStateException("the local Kafka is not secured: it has no users");
        }
        return KafkaCredentials.read(dir.resolve("security"));
    }

    /**
     * Client settings for {@code user} (SASL_SSL, SCRAM-SHA-512): nothing for a plaintext broker, so
     * callers need not care which one runs.
     */
    public Map<String, String> clientProperties(String user) {
        return secured ? credentials().scramClient(user) : Map.of();
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public KafkaBroker start() {
        return start(Set.of());
    }

    /** Starts the broker; a secured one is formatted with a SCRAM user for each of {@code users}. */
    public KafkaBroker start(Collection<String> users) {
        ChildProcess process = process();
        if (!process.isAlive()) {
            KafkaCredentials credentials = secured ? KafkaCredentials.ensure(dir.resolve("security"), users) : null;
            Path config = writeConfig(credentials);
            if (!Files.exists(dir.resolve("data").resolve("meta.properties"))) {
                List<String> format = new ArrayList<>(
                        List.of("format", "-t", Uuid.randomUuid().toString(), "-c", config.toString(), "--standalone"));
                if (credentials != null) {
                    for (String user : credentials.users()) {
                        format.add("--add-scram");
                        format.add(
                                "SCRAM-SHA-512=[name=" + user + ",password=" + credentials.scramPassword(user) + "]");
                    }
                }
                // the passwords are on this command line for the seconds it runs (same user, loopback machine);
                // a failure names only its first words
                ChildProcess.runToCompletion(
                        command("kafka.tools.StorageTool", format.toArray(String[]::new)),
                        dir,
                        dir.resolve("format.log"),
                        Duration.ofSeconds(60));
            }
            process.start(command("kafka.Kafka", config.toString()), dir);
        }
        Readiness.await("kafka broker on " + bootstrapServers(), Duration.ofSeconds(60), process, this::answers);
        return this;
    }

    public void stop() {
        process().stop(Duration.ofSeconds(20));
    }

    public boolean isAlive() {
        return process().isAlive();
    }

    public ChildProcess process() {
        return new ChildProcess("kafka", dir);
    }

    /** Creates the topics that do not exist yet; compacted ones keep only the latest value per key. */
    public void createTopics(Collection<TopicSpec> topics) {
        try (Admin admin = admin()) {
            List<NewTopic> wanted = new ArrayList<>();
            for (TopicSpec topic : topics) {
                NewTopic newTopic = new NewTopic(topic.name(), topic.partitions(), (short) 1);
                if (topic.compacted() && topic.retentionMs() > 0) {
                    newTopic.configs(Map.of(
                            TopicConfig.CLEANUP_POLICY_CONFIG,
                            TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE,
                            TopicConfig.RETENTION_MS_CONFIG,
                            Long.toString(topic.retentionMs())));
                } else if (topic.compacted()) {
                    newTopic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
                }
                wanted.add(newTopic);
            }
            admin.createTopics(wanted).values().values().forEach(future -> {
                try {
                    future.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic", e.getCause());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("cannot create topic", e);
                }
            });
        }
    }

    public Set<String> topicNames() {
        try (Admin admin = admin()) {
            return admin.listTopics().names().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot list topics on " + bootstrapServers(), e);
        }
    }

    /**
     * Grants what {@code acls} allow (a secured broker denies everything else); bindings already there
     * stay, so a restart is idempotent.
     */
    public void grant(Collection<AclBinding> acls) {
        if (!secured || acls.isEmpty()) {
            return;
        }
        try (Admin admin = admin()) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            // the controller has them; the broker's authorizer applies them when its metadata catches up
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!admin.describeAcls(AclBindingFilter.ANY)
                    .values()
                    .get(10, TimeUnit.SECONDS)
                    .containsAll(acls)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the broker did not apply the ACLs within 30s");
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while granting ACLs", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the ACLs on " + bootstrapServers(), e);
        }
    }

    private Admin admin() {
        Properties props = new Properties();
        props.putAll(clientProperties(KafkaCredentials.ADMIN));
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        return Admin.create(props);
    }

    private boolean answers() {
        try (Admin admin = admin()) {
            return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private List<String> command(String mainClass, String... args) {
        Path libs = Components.dir().resolve("kafka");
        List<String> command = new ArrayList<>(List.of(
                Components.java(),
                "-Xms64m",
                "-Xmx384m",
                "-XX:+UseSerialGC",
                "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"),
                "-cp",
                libs + "/*",
                mainClass));
        command.addAll(List.of(args));
        return command;
    }

    private Path writeConfig(KafkaCredentials credentials) {
        try {
            Files.createDirectories(dir.resolve("data"));
            Files.writeString(dir.resolve("log4j2.properties"), """
                    rootLogger.level = WARN
                    rootLogger.appenderRef.stdout.ref = STDOUT
                    appender.stdout.type = Console
                    appender.stdout.name = STDOUT
                    appender.stdout.layout.type = PatternLayout
                    appender.stdout.layout.pattern = [%d] %p %m (%c)%n
                    logger.kafka.name = kafka.server.KafkaRaftServer
                    logger.kafka.level = INFO
                    """);
            Path config = dir.resolve("server.properties");
            List<String> lines = new ArrayList<>(List.of(
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                    "controller.listener.names=CONTROLLER"));
            if (credentials == null) {
                lines.addAll(List.of(
                        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                        "inter.broker.listener.name=PLAINTEXT",
                        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"));
            } else {
                lines.addAll(List.of(
                        "listeners=SASL_SSL://127.0.0.1:" + port + ",SSL://127.0.0.1:" + mtlsPort
                                + ",CONTROLLER://127.0.0.1:" + controllerPort,
                        "advertised.listeners=SASL_SSL://127.0.0.1:" + port + ",SSL://127.0.0.1:" + mtlsPort,
                        "inter.broker.listener.name=SASL_SSL",
                        "listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL,SSL:SSL",
                        "sasl.enabled.mechanisms=SCRAM-SHA-512",
                        "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
                                + credentials.jaas(KafkaCredentials.ADMIN),
                        "ssl.keystore.type=PKCS12",
                        "ssl.keystore.location=" + credentials.brokerKeyStore(),
                        "ssl.keystore.password=" + credentials.storePassword(),
                        "ssl.truststore.type=PEM",
                        "ssl.truststore.location=" + credentials.caCertificate(),
                        "listener.name.ssl.ssl.client.auth=required",
                        "listener.name.controller.ssl.client.auth=required",
                        // a certificate's principal is its CN: the same user over SCRAM and over mTLS
                        "ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/$1/,DEFAULT",
                        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                        "super.users=User:" + KafkaCredentials.ADMIN + ";User:" + KafkaCredentials.BROKER,
                        "allow.everyone.if.no.acl.found=false"));
            }
            lines.addAll(List.of(
                    "log.dirs=" + dir.resolve("data"),
                    "num.partitions=6",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=6",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    "log.retention.hours=24",
                    "log.segment.bytes=16777216",
                    ""));
            OwnerOnlyFile.write(config, String.join("\n", lines));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
