package io.etcdguardian.backplane;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.etcdguardian.common.kafka.LocalClientFiles;
import io.etcdguardian.common.security.OwnerOnlyFile;
import io.etcdguardian.localetcd.ChildReaper;
import io.etcdguardian.localetcd.EtcdCluster;
import io.etcdguardian.localetcd.EtcdMember;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.common.acl.AclBinding;

/**
 * The local backplane: a real etcd cluster, a KRaft Kafka broker and S3Proxy, all under one state
 * directory with their logs and PIDs. {@link #startOrReuse} is idempotent: it restarts what is down
 * and leaves running what runs; its layout is saved so that a later `down` in another JVM stops it.
 */
public record Backplane(Path stateDir, EtcdCluster etcd, KafkaBroker kafka, S3ProxyServer s3, String bucket) {
    // derived getters (isAlive, endpoint) end up in the file too; reading ignores them
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final String LAYOUT = "backplane.json";

    /** {@code secureKafka}: a broker reached only over TLS by named users, each allowed only its ACLs. */
    public record Options(int etcdMembers, long quotaBackendBytes, String bucket, boolean secureKafka) {
        public Options(int etcdMembers, long quotaBackendBytes, String bucket) {
            this(etcdMembers, quotaBackendBytes, bucket, false);
        }

        public static Options defaults() {
            return new Options(3, 0, "etcd-snapshots");
        }

        public Options withSecureKafka() {
            return new Options(etcdMembers, quotaBackendBytes, bucket, true);
        }
    }

    public static Backplane startOrReuse(Path stateDir, Options options, Collection<TopicSpec> topics) {
        return startOrReuse(stateDir, options, topics, List.of());
    }

    /**
     * {@code acls}: what each user may do on a secured broker; their principals ({@code User:NAME}) are
     * the users created with it. A plaintext broker ignores them.
     */
    public static Backplane startOrReuse(
            Path stateDir, Options options, Collection<TopicSpec> topics, Collection<AclBinding> acls) {
        DebianEtcd.ensureInstalled();
        Backplane backplane = load(stateDir).orElseGet(() -> plan(stateDir, options));
        backplane.save();
        backplane.etcd.start();
        TreeSet<String> users = acls.stream()
                .map(a -> a.entry().principal())
                .filter(p -> p.startsWith("User:"))
                .map(p -> p.substring(5))
                .collect(Collectors.toCollection(TreeSet::new));
        backplane.kafka.start(users);
        backplane.writeClientFiles(users);
        backplane.s3.start();
        backplane.kafka.createTopics(topics);
        backplane.kafka.grant(acls);
        backplane.s3.createBucket(backplane.bucket);
        return backplane;
    }

    public static Backplane plan(Path stateDir, Options options) {
        Path dir = stateDir.toAbsolutePath();
        return new Backplane(
                dir,
                EtcdCluster.plan(dir.resolve("etcd"), options.etcdMembers(), options.quotaBackendBytes()),
                KafkaBroker.plan(dir.resolve("kafka"), options.secureKafka()),
                S3ProxyServer.plan(dir.resolve("s3")),
                options.bucket());
    }

    public static Optional<Backplane> load(Path stateDir) {
        Path layout = stateDir.toAbsolutePath().resolve(LAYOUT);
        if (!Files.exists(layout)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(layout.toFile(), Backplane.class));
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + layout + "; remove the state dir to start afresh", e);
        }
    }

    public void stop() {
        // services first would be nicer to them, but they are not ours: stop what clients depend on last
        s3.stop();
        kafka.stop();
        etcd.stop();
    }

    /** Lets the processes outlive this JVM (the quick start's `up`). */
    public void detach() {
        ChildReaper.detach();
    }

    public List<ComponentStatus> status() {
        List<ComponentStatus> status = new ArrayList<>();
        for (int i = 0; i < etcd.members().size(); i++) {
            EtcdMember member = etcd.members().get(i);
            status.add(new ComponentStatus(
                    "etcd " + member.name(),
                    member.clientUrl(),
                    etcd.process(i).pid().orElse(null),
                    etcd.process(i).logFile()));
        }
        status.add(new ComponentStatus(
                "kafka",
                kafka.bootstrapServers(),
                kafka.process().pid().orElse(null),
                kafka.process().logFile()));
        status.add(new ComponentStatus(
                "s3proxy",
                s3.endpoint() + "/" + bucket,
                s3.process().pid().orElse(null),
                s3.process().logFile()));
        return status;
    }

    /** {@link LocalClientFiles}: per user, how a client reaches this broker. */
    private void writeClientFiles(Collection<String> users) {
        try {
            for (String user : users) {
                Map<String, String> client = new HashMap<>(kafka.clientProperties(user));
                client.put("bootstrap.servers", kafka.bootstrapServers());
                LocalClientFiles.write(stateDir, user, client);
            }
            LocalClientFiles.write(
                    stateDir, LocalClientFiles.ANONYMOUS, Map.of("bootstrap.servers", kafka.bootstrapServers()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void save() {
        try {
            OwnerOnlyFile.write(stateDir.resolve(LAYOUT), out -> JSON.writeValue(out, this));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One line of `status`: what, where, which PID (null when down), and its log. */
    public record ComponentStatus(String component, String address, Long pid, Path log) {
        public boolean running() {
            return pid != null;
        }
    }
}
