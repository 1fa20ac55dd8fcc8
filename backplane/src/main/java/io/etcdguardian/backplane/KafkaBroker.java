package io.etcdguardian.backplane;

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
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A single-node Kafka in KRaft mode (broker and controller in one JVM), run from the jars that
 * `backplane-components` collects, formatted once with a dynamic (`--standalone`) quorum.
 */
public record KafkaBroker(Path dir, int port, int controllerPort) {

    public static KafkaBroker plan(Path dir) {
        return new KafkaBroker(dir, FreePorts.next(), FreePorts.next());
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public KafkaBroker start() {
        ChildProcess process = process();
        if (!process.isAlive()) {
            Path config = writeConfig();
            if (!Files.exists(dir.resolve("data").resolve("meta.properties"))) {
                ChildProcess.runToCompletion(command("kafka.tools.StorageTool", "format",
                                "-t", Uuid.randomUuid().toString(), "-c", config.toString(), "--standalone"),
                        dir, dir.resolve("format.log"), Duration.ofSeconds(60));
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
                    newTopic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT + ","
                            + TopicConfig.CLEANUP_POLICY_DELETE, TopicConfig.RETENTION_MS_CONFIG,
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

    private Admin admin() {
        Properties props = new Properties();
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
        List<String> command = new ArrayList<>(List.of(Components.java(), "-Xms64m", "-Xmx384m",
                "-XX:+UseSerialGC", "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"),
                "-cp", libs + "/*", mainClass));
        command.addAll(List.of(args));
        return command;
    }

    private Path writeConfig() {
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
            Files.writeString(config, String.join("\n",
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                    "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                    "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
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
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
