package io.etcdguardian.cli;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.cli.config.ContextSelection;
import io.etcdguardian.cli.config.GuardianConfig;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.common.kafka.TopicAccess;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where Kafka is: --bootstrap-servers, else $KAFKA_BOOTSTRAP_SERVERS, else the selected context of
 * guardianctl's config (with its client security settings), else the local backplane under --state.
 */
public class BackplaneOption {
    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS,"
            + " else the context's, else the local backplane's).")
    String bootstrap;

    @Option(names = "--state", defaultValue = "${GUARDIAN_LOCAL_STATE:-.guardian-local}",
            description = "State directory of the local backplane (default: ${DEFAULT-VALUE}).")
    Path state;

    public Path state() {
        return state;
    }

    /** A stream to the backplane, every client of it with the context's Kafka settings (TLS, SASL). */
    public EventStream eventStream() {
        Map<String, String> client = kafka().map(GuardianConfig.Kafka::clientProperties).orElseGet(this::localClient);
        return new EventStream(bootstrapServers(), client);
    }

    /** The local backplane's guardianctl user when its broker is secured and it is the one talked to. */
    private Map<String, String> localClient() {
        if (bootstrap != null || System.getenv("KAFKA_BOOTSTRAP_SERVERS") != null) {
            return Map.of();
        }
        return Backplane.load(state).map(b -> b.kafka().clientProperties(TopicAccess.CLI)).orElse(Map.of());
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
        return Backplane.load(state).map(b -> b.kafka().bootstrapServers()).orElseThrow(() -> new IllegalStateException(
                "no Kafka to talk to: give --bootstrap-servers, set KAFKA_BOOTSTRAP_SERVERS, select a context"
                        + " (guardianctl config use-context), or start the local backplane (./guardian up)"));
    }

    private static Optional<GuardianConfig.Kafka> kafka() {
        return ContextSelection.current().map(GuardianConfig.Context::kafka);
    }
}
