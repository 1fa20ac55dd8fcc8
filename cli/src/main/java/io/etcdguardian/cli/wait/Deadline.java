package io.etcdguardian.cli.wait;

import java.time.Duration;
import java.time.Instant;

/**
 * How long a command waits. Given by the operator it is fixed; by default ("auto") it is sized to
 * the work as the work becomes known — a base for the fixed part, plus the bytes involved at a
 * slow but healthy rate — so a drill of 1 GiB is not cut off at the deadline of 1 MB, and a
 * service that has vanished is not waited for as if it were busy with a large database.
 */
public final class Deadline {
    private final Duration fixed;
    private final Duration base;
    private final long bytesPerSecond;
    private final Instant started = Instant.now();
    private Instant at;

    private Deadline(Duration fixed, Duration base, long bytesPerSecond) {
        this.fixed = fixed;
        this.base = base;
        this.bytesPerSecond = bytesPerSecond;
        this.at = started.plus(fixed != null ? fixed : base);
    }

    public static Deadline fixed(Duration timeout) {
        return new Deadline(timeout, Duration.ZERO, 1);
    }

    /** {@code base} from now, extended by {@link #sizeFor} once the size of the work is known. */
    public static Deadline auto(Duration base, long bytesPerSecond) {
        return new Deadline(null, base, bytesPerSecond);
    }

    /** The work involves {@code bytes}: an automatic deadline becomes base + their time at the rate, from now. */
    public Deadline sizeFor(long bytes) {
        if (fixed == null && bytes > 0) {
            Instant sized = Instant.now().plus(base).plusSeconds(bytes / bytesPerSecond);
            if (sized.isAfter(at)) {
                at = sized;
            }
        }
        return this;
    }

    public boolean passed() {
        return !Instant.now().isBefore(at);
    }

    /** What is left, but at most {@code cap}: how long one poll may wait. */
    public Duration left(Duration cap) {
        Duration left = Duration.between(Instant.now(), at);
        return left.isNegative() ? Duration.ZERO : left.compareTo(cap) > 0 ? cap : left;
    }

    public Duration total() {
        return Duration.between(started, at);
    }

    /** "within 4m10s (auto: 2m + 1 s per 8 MiB)" or "within 30s (--timeout)". */
    public String describe() {
        String total = Durations.format(total());
        return fixed != null
                ? "within " + total + " (--timeout)"
                : "within " + total + " (--timeout auto: " + Durations.format(base) + " + 1s per "
                        + (bytesPerSecond >> 20) + " MiB of the work)";
    }
}
