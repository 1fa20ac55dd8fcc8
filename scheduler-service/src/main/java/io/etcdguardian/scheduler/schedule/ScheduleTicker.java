package io.etcdguardian.scheduler.schedule;

import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetRegistry;
import io.etcdguardian.common.kafka.OperationContext;
import io.etcdguardian.scheduler.BackupEmitter;
import io.etcdguardian.scheduler.leader.LeaderElection;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every tick, on the leader only: for each scheduled cluster, the slots due since the last one
 * handled. One due slot is requested as SCHEDULE; several (the scheduler was down, or nobody led)
 * become one CATCH_UP request for the newest, not one per missed slot. A cluster seen for the first
 * time starts from now. The slot is recorded as handled — requested or skipped — before moving on.
 */
@Singleton
public class ScheduleTicker {
    private static final Logger LOG = LoggerFactory.getLogger(ScheduleTicker.class);

    private final FleetRegistry fleet;
    private final ScheduleState state;
    private final LeaderElection leader;
    private final BackupEmitter emitter;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Map<String, AtomicLong> nextRun = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastEmitted = new ConcurrentHashMap<>();
    private final Timer delay;
    /** Parsed schedules; the key holds the spec, so a changed schedule is parsed again. */
    private final Map<SlotsKey, Slots> parsed = new ConcurrentHashMap<>();

    private record SlotsKey(String clusterId, io.etcdguardian.common.fleet.ScheduleSpec spec) {}

    public ScheduleTicker(
            FleetRegistry fleet,
            ScheduleState state,
            LeaderElection leader,
            BackupEmitter emitter,
            Clock clock,
            MeterRegistry meters) {
        this.fleet = fleet;
        this.state = state;
        this.leader = leader;
        this.emitter = emitter;
        this.clock = clock;
        this.meters = meters;
        this.delay = Timer.builder("guardian.scheduler.delay")
                .description("from a slot's due time to its request")
                .publishPercentiles(0.5, 0.99)
                .register(meters);
    }

    @Scheduled(fixedDelay = "${guardian.scheduler.tick:1s}", initialDelay = "${guardian.scheduler.tick:1s}")
    public void tick() {
        if (!leader.isLeader()) {
            return;
        }
        Instant now = clock.instant();
        for (ClusterSpec cluster : fleet.current().all()) {
            if (cluster.schedule() == null || cluster.schedule().cron() == null) {
                continue;
            }
            try (var ignored = OperationContext.open(cluster.id(), "schedule", "tick")) {
                tick(cluster, now);
            } catch (RuntimeException e) {
                // one cluster's trouble (Kafka hiccup, bad window) must not stop the others' schedules
                LOG.error("schedule of {} failed this tick: {}", cluster.id(), e.toString());
            }
        }
    }

    void tick(ClusterSpec cluster, Instant now) {
        if (parsed.size() > 4 * fleet.current().clusters().size() + 100) {
            parsed.clear(); // forget schedules of clusters that changed or left
        }
        Slots slots = parsed.computeIfAbsent(
                new SlotsKey(cluster.id(), cluster.schedule()), k -> new Slots(k.clusterId(), k.spec()));
        Optional<Instant> last = state.get(cluster.id()).map(Instant::parse);
        if (last.isEmpty()) {
            state.put(cluster.id(), now.toString());
            return;
        }
        List<Instant> due = slots.between(last.get(), now).stream()
                .filter(s -> !slots.dueAt(s).isAfter(now))
                .toList();
        slots.next(due.isEmpty() ? last.get() : due.get(due.size() - 1))
                .ifPresent(next -> gauge(nextRun, "guardian.scheduler.next.run.timestamp", cluster.id())
                        .set(slots.dueAt(next).getEpochSecond()));
        if (due.isEmpty()) {
            return;
        }
        Instant slot = due.get(due.size() - 1);
        boolean catchUp = due.size() > 1;
        String reason = catchUp
                ? "caught up " + due.size() + " slots missed since " + last.get()
                : "cron " + cluster.schedule().cron();
        BackupEmitter.Outcome outcome = emitter.request(
                cluster,
                catchUp ? Trigger.CATCH_UP : Trigger.SCHEDULE,
                reason,
                "scheduler-service",
                slot,
                cluster.id() + "/" + slot);
        if (outcome.emitted()) {
            delay.record(Duration.between(slots.dueAt(slot), now).abs());
            gauge(lastEmitted, "guardian.scheduler.last.emitted.timestamp", cluster.id())
                    .set(now.getEpochSecond());
        }
        state.put(cluster.id(), slot.toString());
    }

    private AtomicLong gauge(Map<String, AtomicLong> gauges, String name, String cluster) {
        return gauges.computeIfAbsent(
                cluster, c -> meters.gauge(name, List.of(Tag.of("cluster", c)), new AtomicLong()));
    }
}
