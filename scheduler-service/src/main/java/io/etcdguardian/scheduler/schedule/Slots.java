package io.etcdguardian.scheduler.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.etcdguardian.common.fleet.ScheduleSpec;
import io.etcdguardian.common.fleet.TimeWindow;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * When a schedule fires. Cron is the 5-field UNIX syntax of cron-utils: when both day-of-month and
 * day-of-week are restricted ({@code 0 0 1 * 1}) they are OR-ed, as Vixie cron does. Each slot has a
 * jitter offset derived from the cluster id and the slot, so a fleet spreads out but every replica
 * computes the same moment. A slot outside the preferred windows is due at the next window's start.
 */
public final class Slots {
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final int MAX_SLOTS = 100_000;

    private final String clusterId;
    private final ExecutionTime execution;
    private final ZoneId zone;
    private final Duration jitter;
    private final List<TimeWindow> preferred;

    public Slots(String clusterId, ScheduleSpec spec) {
        this.clusterId = clusterId;
        this.execution = ExecutionTime.forCron(PARSER.parse(spec.cron()));
        this.zone = spec.timezone() == null ? ZoneId.of("UTC") : ZoneId.of(spec.timezone());
        this.jitter = spec.jitter() == null ? Duration.ZERO : spec.jitter();
        this.preferred = spec.preferred() == null
                ? List.of()
                : spec.preferred().stream().map(TimeWindow::parse).toList();
    }

    /** The slots in (after, until], oldest first, at most a bounded number. */
    public List<Instant> between(Instant after, Instant until) {
        List<Instant> slots = new java.util.ArrayList<>();
        ZonedDateTime at = after.atZone(zone);
        while (slots.size() < MAX_SLOTS) {
            Optional<ZonedDateTime> next = execution.nextExecution(at);
            if (next.isEmpty() || next.get().toInstant().isAfter(until)) {
                break;
            }
            slots.add(next.get().toInstant());
            at = next.get();
        }
        return slots;
    }

    public Optional<Instant> next(Instant after) {
        return execution.nextExecution(after.atZone(zone)).map(ZonedDateTime::toInstant);
    }

    /** When the request for {@code slot} goes out: slot + jitter, moved into a preferred window if there are any. */
    public Instant dueAt(Instant slot) {
        Instant jittered = slot.plusMillis(jitterMillis(slot));
        if (preferred.isEmpty()) {
            return jittered;
        }
        ZonedDateTime local = jittered.atZone(zone);
        if (preferred.stream().anyMatch(w -> w.contains(local))) {
            return jittered;
        }
        return preferred.stream()
                .map(w -> w.nextStart(local))
                .min(ZonedDateTime::compareTo)
                .orElseThrow()
                .toInstant();
    }

    public ZoneId zone() {
        return zone;
    }

    private long jitterMillis(Instant slot) {
        long range = jitter.toMillis();
        if (range <= 0) {
            return 0;
        }
        UUID hash = UUID.nameUUIDFromBytes((clusterId + "@" + slot).getBytes(StandardCharsets.UTF_8));
        return Math.floorMod(hash.getLeastSignificantBits(), range);
    }
}
