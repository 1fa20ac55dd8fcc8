package io.etcdguardian.cli.wait;

import java.time.Duration;
import picocli.CommandLine.Option;

/** --timeout: a duration, or auto (the default), sized to the work by each command. */
public class TimeoutOption {
    @Option(
            names = "--timeout",
            defaultValue = "auto",
            paramLabel = "DURATION|auto",
            description =
                    "How long to wait"
                            + " before giving up with exit 3: a duration (90s, 20m, 2h) or auto, sized to the work (default: ${DEFAULT-VALUE}).")
    String timeout;

    /** The operator's deadline, or {@code base} + the work's bytes at {@code bytesPerSecond}. */
    public Deadline start(Duration base, long bytesPerSecond) {
        return "auto".equalsIgnoreCase(timeout)
                ? Deadline.auto(base, bytesPerSecond)
                : Deadline.fixed(Durations.parse(timeout));
    }
}
