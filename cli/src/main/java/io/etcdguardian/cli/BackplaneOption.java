package io.etcdguardian.cli;

import io.etcdguardian.backplane.Backplane;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where Kafka is: --bootstrap-servers, else $KAFKA_BOOTSTRAP_SERVERS, else the local backplane under --state. */
public class BackplaneOption {
    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS,"
            + " else the local backplane's).")
    String bootstrap;

    @Option(names = "--state", defaultValue = "${GUARDIAN_LOCAL_STATE:-.guardian-local}",
            description = "State directory of the local backplane (default: ${DEFAULT-VALUE}).")
    Path state;

    public Path state() {
        return state;
    }

    public String bootstrapServers() {
        if (bootstrap != null) {
            return bootstrap;
        }
        String env = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
        if (env != null && !env.isBlank()) {
            return env;
        }
        return Backplane.load(state).map(b -> b.kafka().bootstrapServers()).orElseThrow(() -> new IllegalStateException(
                "no Kafka to talk to: give --bootstrap-servers, set KAFKA_BOOTSTRAP_SERVERS, or start the local"
                        + " backplane (./guardian up)"));
    }
}
