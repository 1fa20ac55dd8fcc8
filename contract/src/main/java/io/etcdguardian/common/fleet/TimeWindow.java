package io.etcdguardian.common.fleet;

import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A daily time window, optionally on some days only: {@code "22:00-06:00"}, {@code "Mon-Fri
 * 08:00-18:00"}, {@code "Sat,Sun 00:00-24:00"}. A window that ends before it starts runs past
 * midnight and belongs to the day it starts on.
 */
public record TimeWindow(Set<DayOfWeek> days, LocalTime start, LocalTime end, boolean untilMidnight) {
    private static final Pattern FORMAT =
            Pattern.compile("(?:([A-Za-z,\\-]+)\\s+)?(\\d{1,2}:\\d{2})-(\\d{1,2}:\\d{2})");

    public static TimeWindow parse(String text) {
        Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a window like \"Mon-Fri 08:00-18:00\" or \"22:00-06:00\"");
        }
        try {
            Set<DayOfWeek> days = m.group(1) == null ? EnumSet.allOf(DayOfWeek.class) : days(m.group(1));
            boolean untilMidnight = m.group(3).equals("24:00");
            LocalTime start = LocalTime.parse(pad(m.group(2)));
            LocalTime end = untilMidnight ? LocalTime.MIDNIGHT : LocalTime.parse(pad(m.group(3)));
            return new TimeWindow(days, start, end, untilMidnight);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' has an invalid time: " + e.getParsedString());
        }
    }

    /** Whether the instant, seen in its zone, falls inside this window. */
    public boolean contains(ZonedDateTime at) {
        LocalTime time = at.toLocalTime();
        boolean crossesMidnight = !untilMidnight && !end.isAfter(start);
        if (!crossesMidnight) {
            return days.contains(at.getDayOfWeek()) && !time.isBefore(start) && (untilMidnight || time.isBefore(end));
        }
        // e.g. 22:00-06:00: the evening part on a listed day, the morning part on the day after one
        return (days.contains(at.getDayOfWeek()) && !time.isBefore(start))
                || (days.contains(at.getDayOfWeek().minus(1)) && time.isBefore(end));
    }

    /** The first start of this window at or after {@code from}. */
    public ZonedDateTime nextStart(ZonedDateTime from) {
        ZonedDateTime candidate = from.with(start).withSecond(0).withNano(0);
        for (int i = 0; i < 8; i++) {
            ZonedDateTime at = candidate.plusDays(i);
            if (!at.isBefore(from) && days.contains(at.getDayOfWeek())) {
                return at;
            }
        }
        throw new IllegalStateException("window " + this + " never starts");
    }

    private static Set<DayOfWeek> days(String spec) {
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (String part : spec.split(",")) {
            String[] range = part.split("-");
            DayOfWeek from = day(range[0]);
            DayOfWeek to = range.length > 1 ? day(range[1]) : from;
            for (DayOfWeek d = from; ; d = d.plus(1)) {
                days.add(d);
                if (d == to) {
                    break;
                }
            }
        }
        return days;
    }

    private static DayOfWeek day(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (DayOfWeek d : DayOfWeek.values()) {
            if (n.length() >= 3 && d.name().toLowerCase(Locale.ROOT).startsWith(n)) {
                return d;
            }
        }
        throw new IllegalArgumentException("'" + name + "' is not a day of the week");
    }

    private static String pad(String time) {
        return time.length() == 4 ? "0" + time : time;
    }
}
