package io.etcdguardian.backplane;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** Waits for a component to answer, and fails with the tail of its log when it does not. */
public final class Readiness {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Readiness() {}

    public static void await(String what, Duration timeout, ChildProcess process, BooleanSupplier ready) {
        try {
            Awaitility.await(what)
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> {
                        if (process != null && !process.isAlive()) {
                            throw new ProcessDiedException();
                        }
                        return ready.getAsBoolean();
                    });
        } catch (ConditionTimeoutException | ProcessDiedException e) {
            String reason = process != null && !process.isAlive() ? " exited" : " not ready within " + timeout;
            throw new IllegalStateException(what + reason + tail(process), e);
        }
    }

    public static boolean httpAnswers(URI uri, Predicate<HttpResponse<String>> ok) {
        try {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build();
            return ok.test(HTTP.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String tail(ChildProcess process) {
        if (process == null) {
            return "";
        }
        Path log = process.logFile();
        try {
            var lines = Files.readAllLines(log);
            return "; last lines of " + log + ":\n  "
                    + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "; no log at " + log;
        }
    }

    /** A process that exits while we wait for it will never become ready: stop waiting. */
    private static final class ProcessDiedException extends RuntimeException {
        ProcessDiedException() {
            super(null, null, false, false);
        }
    }
}
