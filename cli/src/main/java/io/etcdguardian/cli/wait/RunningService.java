package io.etcdguardian.cli.wait;

import io.etcdguardian.common.kafka.EventStream;

/**
 * Before a command publishes a request, a replica of the service that takes it must be running:
 * otherwise the request would wait on its topic — and run whenever one starts, maybe long after
 * the operator gave up — while the command waited for nothing.
 */
public final class RunningService {
    private RunningService() {}

    /** The service reads {@code topic} in its consumer group named after it (the services' default). */
    public static void require(EventStream stream, String service, String topic) {
        String group = groupOf(service);
        if (stream.consumers(group) == 0) {
            throw new NoAnswer(service + " is not running: no member in Kafka consumer group '" + group + "' reads "
                    + topic + ". Nothing was published; start " + service + " (or look at its log) and try again");
        }
    }

    /** $GUARDIAN_&lt;SERVICE&gt;_GROUP when a deployment renamed it (guardian.snapshot.group, …), else the service's name. */
    static String groupOf(String service) {
        String variable = "GUARDIAN_" + service.replace("-service", "").toUpperCase(java.util.Locale.ROOT) + "_GROUP";
        String given = System.getenv(variable);
        return given == null || given.isBlank() ? service : given;
    }
}
