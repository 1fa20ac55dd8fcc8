package io.etcdguardian.cli.options;

import io.etcdguardian.cli.config.ContextSelection;
import io.etcdguardian.cli.config.GuardianConfig;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kafka.LocalClientFiles;
import io.etcdguardian.common.kafka.TopicAccess;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where Kafka is: --bootstrap-servers, else $KAFKA_BOOTSTRAP_SERVERS, else the selected context of
 * guardianctl's config (with its client security settings), else the local backplane under --state.
 */
public class BackplaneOption {
    private static final String BOOTSTRAP_SERVERS = "bootstrap.servers";

    @Option(
            names = "--bootstrap-servers",
            description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS,"
                    + " else the context's, else the local backplane's).")
    String bootstrap;

    @Option(
            names = "--state",
            defaultValue = "${GUARDIAN_LOCAL_STATE:-.guardian-local}",
            description = "State directory of the local backplane (default: ${DEFAULT-VALUE}).")
    Path state;

    private Optional<Map<String, String>> localClientFile;

    public Path state() {
        return state;
    }

    /** A stream to the backplane, every client of it with the context's Kafka settings (TLS, SASL). */
    public EventStream eventStream() {
        Map<String, String> client =
                kafka().map(GuardianConfig.Kafka::clientProperties).orElseGet(this::localClient);
        return new EventStream(bootstrapServers(), client);
    }

    /** The local backplane's guardianctl user when its broker is secured and it is the one talked to. */
    private Map<String, String> localClient() {
        if (bootstrap != null || System.getenv("KAFKA_BOOTSTRAP_SERVERS") != null) {
            return Map.of();
        }
        Map<String, String> client = new HashMap<>(localClientFile().orElse(Map.of()));
        client.remove(BOOTSTRAP_SERVERS);
        return client;
    }

    public String bootstrapServers() {
        if (bootstrap != null) {
            return bootstrap;
        }
        String env = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
        if (env != null && !env.isBlank()) {
            return env;
        }
        Optional<String> fromContext = kafka().map(GuardianConfig.Kafka::bootstrapServers);
        if (fromContext.isPresent()) {
            return fromContext.get();
        }
        return localClientFile()
                .map(c -> c.get(BOOTSTRAP_SERVERS))
                .orElseThrow(() -> new IllegalStateException(
                        "no Kafka to talk to: give --bootstrap-servers, set KAFKA_BOOTSTRAP_SERVERS, select a context"
                                + " (guardianctl config use-context), or start the local backplane (./guardian up)"));
    }

    /**
     * What the local backplane wrote for guardianctl's user under {@code --state} (else the anonymous
     * client of a plaintext broker), read once per command.
     */
    private Optional<Map<String, String>> localClientFile() {
        if (localClientFile == null) {
            localClientFile = LocalClientFiles.read(state, TopicAccess.CLI, LocalClientFiles.ANONYMOUS);
        }
        return localClientFile;
    }

    private static Optional<GuardianConfig.Kafka> kafka() {
        return ContextSelection.current().map(GuardianConfig.Context::kafka);
    }
}
