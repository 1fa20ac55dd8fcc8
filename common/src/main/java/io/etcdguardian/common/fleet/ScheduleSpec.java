package io.etcdguardian.common.fleet;

import java.time.Duration;

/** A 5-field cron in a time zone, with jitter to spread a fleet over the slot. */
public record ScheduleSpec(String cron, String timezone, Duration jitter) {}
