package io.etcdguardian.common.fleet;

import java.time.Duration;
import java.util.List;

/**
 * A 5-field cron in a time zone, with jitter to spread a fleet over the slot. {@code blackouts}
 * suppress slots ("Mon-Fri 08:00-18:00", "23:00-01:00"); with {@code preferred} windows, a slot
 * outside them is deferred to the next window's start. Windows are in the schedule's time zone.
 */
public record ScheduleSpec(
        String cron, String timezone, Duration jitter, List<String> blackouts, List<String> preferred) {
    public ScheduleSpec(String cron, String timezone, Duration jitter) {
        this(cron, timezone, jitter, null, null);
    }
}
