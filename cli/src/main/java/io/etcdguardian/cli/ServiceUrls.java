package io.etcdguardian.cli;

import io.etcdguardian.cli.local.LocalServices;
import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.common.event.EventJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where the services' HTTP APIs are: --<service>-url, else $GUARDIAN_<SERVICE>_URL, else the local one's port. */
public class ServiceUrls {
    @Option(names = "--snapshot-url", description = "snapshot-service base URL (default: $GUARDIAN_SNAPSHOT_URL, else"
            + " the local service).")
    String snapshotUrl;

    @Option(names = "--restore-url", description = "restore-service base URL (default: $GUARDIAN_RESTORE_URL, else"
            + " the local service).")
    String restoreUrl;

    public URI snapshotService(Path state) {
        return resolve(snapshotUrl, "GUARDIAN_SNAPSHOT_URL", state, "snapshot-service");
    }

    public URI restoreService(Path state) {
        return resolve(restoreUrl, "GUARDIAN_RESTORE_URL", state, "restore-service");
    }

    private static URI resolve(String given, String variable, Path state, String service) {
        if (given != null) {
            return URI.create(given);
        }
        String env = System.getenv(variable);
        if (env != null && !env.isBlank()) {
            return URI.create(env);
        }
        int port = new LocalServices(state, Path.of(".")).ports().get(service);
        return URI.create("http://127.0.0.1:" + port);
    }

    /** A service answered, with an error: its reason and message (our services answer {reason, message}). */
    public static final class Refused extends IllegalStateException {
        private final int status;

        Refused(int status, URI uri, String body) {
            super(describe(status, uri, body));
            this.status = status;
        }

        public int status() {
            return status;
        }

        private static String describe(int status, URI uri, String body) {
            try {
                JsonNode error = EventJson.MAPPER.readTree(body);
                if (error != null && error.hasNonNull("message")) {
                    return error.path("reason").asText("HTTP " + status) + ": " + error.path("message").asText()
                            + " (HTTP " + status + " from " + uri + ")";
                }
            } catch (IOException notJson) {
                // fall through: show the body as it came
            }
            return "HTTP " + status + " from " + uri + ": " + body;
        }
    }

    /** GET or POST; the body of a 2xx, else an exception with the service's own message. */
    public static String call(String method, URI uri) {
        try {
            HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(30))
                            .method(method, HttpRequest.BodyPublishers.noBody()).build(),
                            HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new Refused(response.statusCode(), uri, response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach " + uri + " (" + e.getClass().getSimpleName() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
