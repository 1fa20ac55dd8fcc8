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

    /**
     * For a service a test starts: it lives seconds, so its start is most of what it costs, and on 2 cores
     * that cost slows every other process of the test. C1 alone, one GC thread and no verification of the
     * build's own bytecode took a forked snapshot-service of the fault matrix from 13.1 to 6.9 CPU-seconds
     * over its life (the behaviour is the same code's). Never for a benchmark, which measures the JVM as it
     * runs in production.
     */
    private static final List<String> TEST_JVM = List.of(
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-XX:+UnlockDiagnosticVMOptions",
            "-XX:-BytecodeVerificationRemote");

    /** The JVM options of a service a test forks, with a heap of {@code maxHeap} (e.g. {@code 256m}). */
    public static List<String> testJvm(String maxHeap) {
        List<String> options = new ArrayList<>(TEST_JVM);
        options.add("-Xmx" + maxHeap);
        return options;
    }

    public static Process start(String mainClass, Map<String, ?> settings, Path log) {
        return start(mainClass, settings, log, testJvm("256m"));
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
