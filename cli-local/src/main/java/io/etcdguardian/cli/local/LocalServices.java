package io.etcdguardian.cli.local;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.KafkaBroker;
import io.etcdguardian.cli.options.LocalPorts;
import io.etcdguardian.common.security.CallerTokens;
import io.etcdguardian.common.security.Roles;
import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.Readiness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The four services as local processes, each from a copy of its jar taken when it starts
 * ({@code services/jars/}: a rebuild never changes what runs) on its own HTTP port, logs and PIDs
 * beside the backplane's. Ports are remembered so that status and the CLI
 * find them again.
 */
public final class LocalServices {
    public static final List<String> NAMES = LocalPorts.NAMES;

    private final Path dir;
    private final Path home;
    private final LocalPorts ports;

    public LocalServices(Path stateDir, Path home) {
        this.dir = stateDir.resolve("services");
        this.home = home;
        this.ports = new LocalPorts(stateDir);
    }

    /**
     * The services' tokens file: one operator with every role, whose token ({@code <state>/token},
     * readable by its owner only) guardianctl sends when it talks to this local stack. Made once.
     */
    private Path tokensFile() {
        Path tokens = dir.resolve("tokens");
        Path token = tokenFile(dir.getParent());
        try {
            if (!Files.exists(tokens) || !Files.exists(token)) {
                String issued = CallerTokens.writeFile(tokens, Map.of("local-operator", Roles.ALL))
                        .get("local-operator");
                io.etcdguardian.common.security.OwnerOnlyFile.write(token, issued + "\n");
            }
            return tokens;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the local tokens under " + dir, e);
        }
    }

    /** Where the local stack's operator token is. */
    public static Path tokenFile(Path stateDir) {
        return LocalPorts.tokenFile(stateDir);
    }

    /** Starts every service that is not running; returns name → HTTP port. */
    public Map<String, Integer> start(Map<String, String> env, Duration timeout) {
        Map<String, Integer> ports = ports();
        Map<String, Integer> management = managementPorts();
        Optional<KafkaBroker> secured =
                Backplane.load(dir.getParent()).map(Backplane::kafka).filter(KafkaBroker::secured);
        for (String name : NAMES) {
            ChildProcess process = process(name);
            if (process.isAlive()) {
                continue;
            }
            Path built = home.resolve(name).resolve("target").resolve(name + ".jar");
            if (!Files.isRegularFile(built)) {
                throw new IllegalStateException(built + " is missing: build with `mvn -DskipTests package` first");
            }
            // a copy taken now: a rebuild replaces target/*.jar, and would pull classes out from under the service
            Path jar = copyForRun(built, name);
            Map<String, String> own = new LinkedHashMap<>(env);
            secured.ifPresent(kafka -> own.putAll(kafkaEnvironment(kafka, name)));
            own.put("GUARDIAN_HTTP_PORT", Integer.toString(ports.get(name)));
            own.put("GUARDIAN_MANAGEMENT_PORT", Integer.toString(management.get(name)));
            own.put("GUARDIAN_SECURITY_TOKENS_FILE", tokensFile().toString());
            own.put("GUARDIAN_SNAPSHOT_SPOOL_DIR", dir.resolve("spool").toString());
            process.start(
                    List.of(javaBin(), "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar.toString()), dir, own);
        }
        for (String name : NAMES) {
            int port = management.get(name);
            Readiness.await(
                    name + " (health on port " + port + ")",
                    timeout,
                    process(name),
                    () -> Readiness.httpAnswers(
                            URI.create("http://127.0.0.1:" + port + "/health"), r -> r.statusCode() == 200));
        }
        return ports;
    }

    /**
     * On a secured local broker, the service's own Kafka user, given the way the chart gives it (the
     * environment a Secret fills: KAFKA_SASL_JAAS_CONFIG, …), so that this path is the one tested; and
     * the health check that needs no cluster-wide permission.
     */
    private static Map<String, String> kafkaEnvironment(KafkaBroker kafka, String service) {
        Map<String, String> env = new LinkedHashMap<>();
        kafka.clientProperties(service)
                .forEach((key, value) -> env.put(
                        "KAFKA_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_'), value));
        env.put("KAFKA_HEALTH_RESTRICTED", "true");
        return env;
    }

    private Path copyForRun(Path built, String name) {
        try {
            Path jars = Files.createDirectories(dir.resolve("jars"));
            Path tmp = Files.createTempFile(jars, name, ".jar.tmp");
            Files.copy(built, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Path jar = jars.resolve(name + ".jar");
            Files.move(
                    tmp,
                    jar,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + built + " for " + name, e);
        }
    }

    public void stop() {
        for (int i = NAMES.size() - 1; i >= 0; i--) {
            process(NAMES.get(i)).stop(Duration.ofSeconds(20));
        }
    }

    public ChildProcess process(String name) {
        return new ChildProcess(name, dir);
    }

    /** The HTTP (API) port of each service: remembered, else 8081… when free, else any free port. */
    public Map<String, Integer> ports() {
        return ports.ports();
    }

    /** The management port (health, metrics) of each service: remembered, else 9081… when free, else any. */
    public Map<String, Integer> managementPorts() {
        return ports.managementPorts();
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
