package io.etcdguardian.common.http;

import io.micronaut.runtime.Micronaut;
import java.util.Map;

/**
 * Starts a service. With {@code GUARDIAN_MANAGEMENT_PORT} set, health and metrics move to that port
 * (Micronaut's {@code endpoints.all.port}) and the API port serves only the authenticated API, so a
 * NetworkPolicy can open the one to Prometheus and the kubelet and the other to operators.
 */
public final class ServiceLauncher {
    public static final String MANAGEMENT_PORT = "GUARDIAN_MANAGEMENT_PORT";

    private ServiceLauncher() {}

    public static void run(Class<?> application, String[] args) {
        Micronaut micronaut = Micronaut.build(args).mainClass(application);
        String port = System.getenv(MANAGEMENT_PORT);
        if (port != null && !port.isBlank()) {
            try {
                int value = Integer.parseInt(port.trim());
                if (value < 1 || value > 65535) {
                    throw new NumberFormatException();
                }
                micronaut.properties(Map.of("endpoints.all.port", value));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(MANAGEMENT_PORT + ": '" + port + "' is not a TCP port (1-65535)");
            }
        }
        micronaut.start();
    }
}
