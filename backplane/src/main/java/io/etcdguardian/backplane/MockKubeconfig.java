package io.etcdguardian.backplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kubeconfig a fleet names for a cluster whose Kubernetes API is the fabric8 mock server: its URL,
 * no TLS check, a bearer token that the secrets scans look for.
 */
public final class MockKubeconfig {
    /** The token every test kubeconfig carries; no log, event or stored object may show it. */
    public static final String TOKEN = "not-a-secret";

    private MockKubeconfig() {}

    /** {@code namespace}: the context's default namespace, or null for none. */
    public static Path write(Path file, String serverUrl, String namespace) {
        try {
            return Files.writeString(
                    file, """
                    apiVersion: v1
                    kind: Config
                    clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
                    users: [{name: guardian, user: {token: %s}}]
                    contexts: [{name: mock, context: {cluster: mock, user: guardian%s}}]
                    current-context: mock
                    """.formatted(serverUrl, TOKEN, namespace == null ? "" : ", namespace: " + namespace));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
