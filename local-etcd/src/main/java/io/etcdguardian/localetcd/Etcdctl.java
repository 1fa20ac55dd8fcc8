package io.etcdguardian.localetcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real etcdctl (or etcdutl), the independent tools the tests and drills check results with. */
public final class Etcdctl {
    private Etcdctl() {}

    /** Runs the command and returns what it wrote (stdout and stderr: 3.4 reports health on stderr). */
    public static String run(List<String> command) {
        try {
            // etcdctl 3.4+ speaks v3 by default; 3.6 warns about ETCDCTL_API, so it is not set
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("etcdctl timed out: " + command);
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(
                        command.get(0).replaceAll(".*/", "") + " " + command.subList(1, command.size()) + " failed ("
                                + process.exitValue() + "): " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
