package io.etcdguardian.backplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A service started as a child JVM of a test, on the test's class path, with its settings as system
 * properties: a process a test can SIGKILL like a real one.
 */
public final class ForkedService {
    private ForkedService() {}

    public static Process start(String mainClass, Map<String, ?> settings, Path log) {
        return start(mainClass, settings, log, List.of("-Xmx256m"));
    }

    /** Asks the service to shut down; one that has not within 30 s is killed, so a hung shutdown cannot hang its caller. */
    public static void stop(Process service) throws InterruptedException {
        service.destroy();
        if (!service.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            service.destroyForcibly();
        }
    }

    /** With the JVM options a benchmark measures under (the heap, say). */
    public static Process start(String mainClass, Map<String, ?> settings, Path log, List<String> jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add(mainClass);
        try {
            return new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
