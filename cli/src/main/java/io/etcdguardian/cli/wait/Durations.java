package io.etcdguardian.cli.wait;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Durations as operators type and read them: 90s, 20m, 2h, 1h30m, PT1H, or plain seconds. */
public final class Durations {
    private Durations() {}

    public static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.matches("\\d+")) {
                return Duration.ofSeconds(Long.parseLong(t));
            }
            if (t.startsWith("p")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
            if (t.matches("(\\d+(ms|[dhms]))+")) {
                Duration total = Duration.ZERO;
                java.util.regex.Matcher part =
                        java.util.regex.Pattern.compile("(\\d+)(ms|[dhms])").matcher(t);
                while (part.find()) {
                    long n = Long.parseLong(part.group(1));
                    total = total.plus(
                            switch (part.group(2)) {
                                case "d" -> Duration.ofDays(n);
                                case "h" -> Duration.ofHours(n);
                                case "m" -> Duration.ofMinutes(n);
                                case "s" -> Duration.ofSeconds(n);
                                default -> Duration.ofMillis(n);
                            });
                }
                return total;
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            // fall through to the one message
        }
        throw new IllegalArgumentException("'" + text + "' is not a duration (90s, 20m, 2h, 1h30m, PT1H or seconds)");
    }

    /** 4m10s, 2h, 850ms. */
    public static String format(Duration d) {
        if (d.toMillis() < 1000) {
            return d.toMillis() + "ms";
        }
        return d.withNanos(0).toString().substring(2).toLowerCase(Locale.ROOT);
    }
}
