package io.etcdguardian.cli.options;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The ports and the operator token of the local stack's services under a state directory: chosen by
 * {@code guardianctl local up} (cli-local), found again by every guardianctl command talking to it.
 */
public final class LocalPorts {
    public static final List<String> NAMES =
            List.of("scheduler-service", "snapshot-service", "health-service", "restore-service");
    private static final int FIRST_DEFAULT_PORT = 8081;
    private static final int FIRST_DEFAULT_MANAGEMENT_PORT = 9081;

    private final Path dir;

    public LocalPorts(Path stateDir) {
        this.dir = stateDir.resolve("services");
    }

    /** Where the local stack's operator token is. */
    public static Path tokenFile(Path stateDir) {
        return stateDir.resolve("token");
    }

    /** The HTTP (API) port of each service: remembered, else 8081… when free, else any free port. */
    public Map<String, Integer> ports() {
        return ports("", FIRST_DEFAULT_PORT);
    }

    /** The management port (health, metrics) of each service: remembered, else 9081… when free, else any. */
    public Map<String, Integer> managementPorts() {
        return ports(".management", FIRST_DEFAULT_MANAGEMENT_PORT);
    }

    private synchronized Map<String, Integer> ports(String suffix, int firstDefault) {
        Path file = dir.resolve("ports.properties");
        Properties props = new Properties();
        try {
            Files.createDirectories(dir);
            if (Files.exists(file)) {
                try (var in = Files.newInputStream(file)) {
                    props.load(in);
                }
            }
            Map<String, Integer> ports = new LinkedHashMap<>();
            for (int i = 0; i < NAMES.size(); i++) {
                String name = NAMES.get(i);
                String known = props.getProperty(name + suffix);
                int port = known != null
                        ? Integer.parseInt(known)
                        : isFree(firstDefault + i) ? firstDefault + i : anyFreePort();
                ports.put(name, port);
                props.setProperty(name + suffix, Integer.toString(port));
            }
            try (var out = Files.newOutputStream(file)) {
                props.store(out, "HTTP ports of the local services (API; NAME.management: health and metrics)");
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int anyFreePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
