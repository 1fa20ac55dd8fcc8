package io.etcdguardian.cli.options;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.cli.config.ContextSelection;
import io.etcdguardian.cli.config.GuardianConfig;
import io.etcdguardian.cli.wait.Durations;
import io.etcdguardian.cli.wait.NoAnswer;
import io.etcdguardian.common.event.EventJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * Where the services' HTTP APIs are: --&lt;service&gt;-url, else $GUARDIAN_&lt;SERVICE&gt;_URL, else the
 * selected context's, else the local one's port.
 */
public class ServiceUrls {
    @Option(
            names = "--snapshot-url",
            description = "snapshot-service base URL (default: $GUARDIAN_SNAPSHOT_URL, else" + " the local service).")
    String snapshotUrl;

    @Option(
            names = "--restore-url",
            description = "restore-service base URL (default: $GUARDIAN_RESTORE_URL, else" + " the local service).")
    String restoreUrl;

    public URI snapshotService(Path state) {
        return resolve(
                snapshotUrl, "GUARDIAN_SNAPSHOT_URL", GuardianConfig.Context::snapshotUrl, state, "snapshot-service");
    }

    public URI restoreService(Path state) {
        return resolve(
                restoreUrl, "GUARDIAN_RESTORE_URL", GuardianConfig.Context::restoreUrl, state, "restore-service");
    }

    // the caller's bearer token for this invocation's calls, found with the service's URL
    private static volatile String token;

    /** One invocation's token is not the next one's (tests run many in one JVM). */
    public static void forgetToken() {
        token = null;
    }

    /** $GUARDIAN_TOKEN, else the context's tokenFile, else the local stack's token under --state. */
    private static String findToken(Path state) {
        String env = System.getenv("GUARDIAN_TOKEN");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        Optional<Path> file = ContextSelection.current()
                .map(GuardianConfig.Context::tokenFile)
                .map(GuardianConfig::expand)
                .or(() -> Optional.of(LocalPorts.tokenFile(state)).filter(java.nio.file.Files::isReadable));
        if (file.isEmpty()) {
            return null;
        }
        try {
            return java.nio.file.Files.readString(file.get()).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("token file " + file.get() + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The flag, else the environment, else the selected context, else the local service's port. */
    private static URI resolve(
            String given,
            String variable,
            Function<GuardianConfig.Context, String> inContext,
            Path state,
            String service) {
        token = findToken(state);
        if (given != null) {
            return URI.create(given);
        }
        String env = System.getenv(variable);
        if (env != null && !env.isBlank()) {
            return URI.create(env);
        }
        Optional<String> fromContext = ContextSelection.current().map(inContext);
        if (fromContext.isPresent()) {
            return URI.create(fromContext.get());
        }
        int port = new LocalPorts(state).ports().get(service);
        return URI.create("http://127.0.0.1:" + port);
    }

    /** A service answered, with an error: its reason and message (our services answer {reason, message}). */
    public static final class Refused extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        private final int status;

        Refused(int status, URI uri, String body) {
            super(describe(status, uri, body));
            this.status = status;
        }

        public int status() {
            return status;
        }

        private static String describe(int status, URI uri, String body) {
            if (status == 401) {
                return "HTTP 401 from " + uri + ": no valid token (give one with $GUARDIAN_TOKEN or the context's"
                        + " tokenFile; guardianctl token create issues one)";
            }
            if (status == 403) {
                return "HTTP 403 from " + uri + ": the token's roles do not allow this (read: catalogue and status;"
                        + " operate: backup, drill, defrag)";
            }
            try {
                JsonNode error = EventJson.MAPPER.readTree(body);
                if (error != null && error.hasNonNull("message")) {
                    return error.path("reason").asText("HTTP " + status) + ": "
                            + error.path("message").asText() + " (HTTP " + status + " from " + uri + ")";
                }
            } catch (IOException notJson) {
                // fall through: show the body as it came
            }
            return "HTTP " + status + " from " + uri + ": " + body;
        }
    }

    private static HttpRequest.Builder authorized(HttpRequest.Builder request) {
        String bearer = token;
        return bearer == null ? request : request.header("Authorization", "Bearer " + bearer); // never logged
    }

    /**
     * A GET whose body is a stream (a snapshot): open until the caller closes it; the same errors as
     * {@link #call(String, URI, Duration)}.
     */
    public static java.io.InputStream download(URI uri, Duration timeout) {
        HttpResponse<java.io.InputStream> response = send(
                HttpRequest.newBuilder(uri).timeout(timeout).GET(),
                uri,
                timeout,
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() / 100 != 2) {
            try (java.io.InputStream body = response.body()) {
                throw new Refused(
                        response.statusCode(),
                        uri,
                        new String(body.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new NoAnswer("cannot read the answer of " + uri + " (" + e.getMessage() + ")", e);
            }
        }
        return response.body();
    }

    /** A quick call (catalogue, manifest, restores): an answer within 30 s, or the service is not answering. */
    public static String call(String method, URI uri) {
        return call(method, uri, Duration.ofSeconds(30));
    }

    /**
     * GET or POST; the body of a 2xx, else an exception with the service's own message. A service
     * that is down is reported within the 5 s connect timeout, one that does not answer when {@code
     * timeout} passes — both as {@link NoAnswer} (exit 3).
     */
    public static String call(String method, URI uri, Duration timeout) {
        return call(method, uri, timeout, null);
    }

    /** As {@link #call(String, URI, Duration)}, with a JSON body (null: none). */
    public static String call(String method, URI uri, Duration timeout, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .method(
                        method,
                        json == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(json, java.nio.charset.StandardCharsets.UTF_8));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = send(request, uri, timeout, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new Refused(response.statusCode(), uri, response.body());
        }
        return response.body();
    }

    /** Sends with the token; a service down, silent or unreachable is {@link NoAnswer} (exit 3). */
    private static <T> HttpResponse<T> send(
            HttpRequest.Builder request, URI uri, Duration timeout, HttpResponse.BodyHandler<T> body) {
        try {
            return HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build()
                    .send(authorized(request).build(), body);
        } catch (java.net.http.HttpConnectTimeoutException | java.net.ConnectException e) {
            throw new NoAnswer(
                    "nothing answers at " + uri.resolve("/") + " ("
                            + e.getClass().getSimpleName() + "): is the service running there?",
                    e);
        } catch (java.net.http.HttpTimeoutException e) {
            throw new NoAnswer(
                    "no answer from " + uri + " within " + Durations.format(timeout)
                            + " (the service may still be working on it)",
                    e);
        } catch (IOException e) {
            throw new NoAnswer(
                    "cannot reach " + uri + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
