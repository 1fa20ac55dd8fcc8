package io.etcdguardian.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.BackupSkipped;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.SnapshotCompleted;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.scheduler.guard.InFlight;
import io.etcdguardian.scheduler.leader.LeaderElection;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** scheduler-service on the real broker, with a clock the test moves. */
@ExtendWith(BackplaneExtension.class)
class SchedulerServiceIT {
    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private final String scheduled = "sched-" + run;
    private final String blackout = "black-" + run;
    private final String paused = "paused-" + run;
    private final String manual = "manual-" + run;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:30Z"));
    private final List<ApplicationContext> contexts = new ArrayList<>();

    @TempDir
    Path dir;

    Backplane backplane;
    Path fleet;
    EventStream stream;

    @BeforeEach
    void fleet(Backplane shared) throws IOException {
        backplane = shared;
        stream = new EventStream(shared.kafka().bootstrapServers());
        fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                defaults:
                  etcd: { endpoints: [http://127.0.0.1:2379] }
                  store: { bucket: etcd-snapshots }
                  schedule: { cron: "*/5 * * * *", timezone: UTC }
                clusters:
                  - id: %s
                  - id: %s
                    schedule: { blackouts: ["00:00-24:00"] }
                  - id: %s
                    paused: true
                  - id: %s
                    schedule: { cron: "0 0 1 1 *" }
                """.formatted(scheduled, blackout, paused, manual));
    }

    @AfterEach
    void stop() {
        contexts.forEach(ApplicationContext::close);
        stream.close();
    }

    private String token;

    private ApplicationContext start() {
        Map<String, Object> props = new HashMap<>();
        props.put("micronaut.server.port", -1);
        props.put("kafka.bootstrap.servers", backplane.kafka().bootstrapServers());
        props.put("guardian.fleet.file", fleet.toString());
        props.put("guardian.fleet.topic.enabled", "false");
        props.put("guardian.scheduler.tick", "100ms");
        props.put("guardian.scheduler.leader-group", "leader-" + run);
        props.put("guardian.scheduler.leader-session-timeout", "6s");
        try {
            Path tokens = fleet.resolveSibling("tokens-" + run);
            token = io.etcdguardian.common.security.CallerTokens.writeFile(
                            tokens, Map.of("operator", java.util.Set.of(io.etcdguardian.common.security.Roles.OPERATE)))
                    .get("operator");
            props.put("guardian.security.tokens-file", tokens.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ApplicationContext context =
                ApplicationContext.builder().properties(props).singletons(clock).start();
        context.getBean(EmbeddedServer.class).start();
        contexts.add(context);
        return context;
    }

    @Test
    void requestsEachSlotOnceAcrossRestartsAndReplicasAndCatchesUpOnce() {
        ApplicationContext first = start();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> first.getBean(LeaderElection.class).isLeader());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> first.getBean(io.etcdguardian.scheduler.schedule.ScheduleState.class)
                        .get(scheduled)
                        .isPresent());

        try (EventStream.Follower requests = stream.follow(Topics.BACKUP_REQUESTS);
                EventStream.Follower skips = stream.follow(Topics.SCHEDULER_EVENTS)) {
            clock.set(Instant.parse("2026-11-23T10:05:01Z"));
            BackupRequested slot = (BackupRequested)
                    requests.await(of(scheduled), Duration.ofSeconds(20)).orElseThrow();
            assertThat(slot.trigger()).isEqualTo(Trigger.SCHEDULE);
            assertThat(slot.slot()).isEqualTo(Instant.parse("2026-11-23T10:05:00Z"));
            assertThat(skips.await(
                            e -> e instanceof BackupSkipped s
                                    && s.clusterId().equals(blackout)
                                    && s.reason() == Reason.BLACKOUT,
                            Duration.ofSeconds(20)))
                    .isPresent();
            assertThat(skips.await(
                            e -> e instanceof BackupSkipped s
                                    && s.clusterId().equals(paused)
                                    && s.reason() == Reason.PAUSED,
                            Duration.ofSeconds(20)))
                    .isPresent();
            var meters = first.getBean(io.micrometer.core.instrument.MeterRegistry.class);
            assertThat(meters.get("guardian.scheduler.skips")
                            .tags("cluster", blackout, "reason", "BLACKOUT")
                            .counter()
                            .count())
                    .isEqualTo(1);
            assertThat(meters.get("guardian.scheduler.emitted")
                            .tags("cluster", scheduled, "trigger", "SCHEDULE")
                            .counter()
                            .count())
                    .isEqualTo(1);
            assertThat(meters.get("guardian.scheduler.last.emitted.timestamp")
                            .tags("cluster", scheduled)
                            .gauge()
                            .value())
                    .isEqualTo(Instant.parse("2026-11-23T10:05:01Z").getEpochSecond());
            // set on the tick after the emission: a loaded machine (another module's tests beside) delays it
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(meters.get("guardian.scheduler.next.run.timestamp")
                                    .tags("cluster", scheduled)
                                    .gauge()
                                    .value())
                            .isEqualTo(Instant.parse("2026-11-23T10:10:00Z").getEpochSecond()));
            complete(first, scheduled);
        }

        // the scheduler is down for 32 minutes: six slots pass; it comes back and asks once
        first.close();
        contexts.remove(first);
        clock.set(Instant.parse("2026-11-23T10:37:00Z"));
        try (EventStream.Follower requests = stream.follow(Topics.BACKUP_REQUESTS)) {
            ApplicationContext second = start();
            BackupRequested catchUp = (BackupRequested)
                    requests.await(of(scheduled), Duration.ofSeconds(40)).orElseThrow();
            assertThat(catchUp.trigger()).isEqualTo(Trigger.CATCH_UP);
            assertThat(catchUp.slot()).isEqualTo(Instant.parse("2026-11-23T10:35:00Z"));
            assertThat(catchUp.reason()).contains("caught up 6 slots");
            complete(second, scheduled);

            // a second replica joins: the next slot is still requested once. The slot after it is the
            // sentinel: a duplicate of either request would have been published before it
            ApplicationContext third = start();
            clock.set(Instant.parse("2026-11-23T10:40:01Z"));
            assertThat(slotsUntil(requests, "2026-11-23T10:40:00Z"))
                    .as("one catch-up request, not six")
                    .containsExactly(Instant.parse("2026-11-23T10:40:00Z"));
            ApplicationContext leader = List.of(second, third).stream()
                    .filter(c -> c.getBean(LeaderElection.class).isLeader())
                    .findFirst()
                    .orElseThrow();
            complete(leader, scheduled);
            clock.set(Instant.parse("2026-11-23T10:45:01Z"));
            assertThat(slotsUntil(requests, "2026-11-23T10:45:00Z"))
                    .as("no second request")
                    .containsExactly(Instant.parse("2026-11-23T10:45:00Z"));
            assertThat(List.of(second, third))
                    .filteredOn(c -> c.getBean(LeaderElection.class).isLeader())
                    .hasSize(1);
        }
    }

    @Test
    void onDemandAndTriggeredBackupsGoThroughTheSameGuards() {
        ApplicationContext context = start();
        try (HttpClient http =
                        HttpClient.create(context.getBean(EmbeddedServer.class).getURL());
                EventStream.Follower requests = stream.follow(Topics.BACKUP_REQUESTS)) {
            var accepted = http.toBlocking()
                    .exchange(
                            HttpRequest.POST(
                                            "/clusters/" + manual + "/backups",
                                            Map.of("reason", "before the upgrade", "requestedBy", "alice"))
                                    .bearerAuth(token),
                            Map.class);
            assertThat(accepted.code()).isEqualTo(202);
            BackupRequested demanded = (BackupRequested)
                    requests.await(of(manual), Duration.ofSeconds(20)).orElseThrow();
            assertThat(demanded.trigger()).isEqualTo(Trigger.ON_DEMAND);
            assertThat(demanded.reason()).isEqualTo("before the upgrade");
            assertThat(demanded.requestedBy()).isEqualTo("alice");

            // one in flight already: a second is refused with the reason
            HttpClientResponseException busy = org.junit.jupiter.api.Assertions.assertThrows(
                    HttpClientResponseException.class,
                    () -> http.toBlocking()
                            .exchange(
                                    HttpRequest.POST("/clusters/" + manual + "/backups", Map.of())
                                            .bearerAuth(token),
                                    Map.class));
            assertThat(busy.getStatus().getCode()).isEqualTo(409);
            assertThat(busy.getResponse()
                            .getBody(io.micronaut.core.type.Argument.mapOf(String.class, Object.class))
                            .orElseThrow())
                    .containsEntry("reason", "IN_FLIGHT");
            complete(context, manual);

            HttpClientResponseException unknown = org.junit.jupiter.api.Assertions.assertThrows(
                    HttpClientResponseException.class,
                    () -> http.toBlocking()
                            .exchange(
                                    HttpRequest.POST("/clusters/nobody-" + run + "/backups", Map.of())
                                            .bearerAuth(token),
                                    Map.class));
            assertThat(unknown.getStatus().getCode()).isEqualTo(404);

            stream.publish(
                    "/test",
                    new MaintenanceRequested(
                            manual, MaintenanceRequested.Action.DEFRAG, "fragmented", "test", Instant.now()));
            BackupRequested preDefrag = (BackupRequested)
                    requests.await(of(manual), Duration.ofSeconds(20)).orElseThrow();
            assertThat(preDefrag.trigger()).isEqualTo(Trigger.PRE_DEFRAG);
        }
    }

    /** The slots requested for the scheduled cluster, up to and including {@code slot}. */
    private List<Instant> slotsUntil(EventStream.Follower requests, String slot) {
        List<GuardianEvent> seen = requests.until(
                e -> of(scheduled).test(e) && ((BackupRequested) e).slot().equals(Instant.parse(slot)),
                Duration.ofSeconds(30));
        assertThat(seen).as("the request of slot " + slot).isNotEmpty();
        return seen.stream()
                .filter(of(scheduled))
                .map(e -> ((BackupRequested) e).slot())
                .toList();
    }

    private static Predicate<GuardianEvent> of(String cluster) {
        return e -> e instanceof BackupRequested r && r.clusterId().equals(cluster);
    }

    /** Plays snapshot-service's answer, so the request is no longer in flight. */
    private void complete(ApplicationContext context, String cluster) {
        InFlight inFlight = context.getBean(InFlight.class);
        // the request can reach the test's consumer a moment before the emitter records it in flight
        await().atMost(Duration.ofSeconds(10))
                .until(() -> inFlight.current(cluster).isPresent());
        String id = inFlight.current(cluster).orElseThrow().requestId();
        stream.publish(EventEnvelope.wrap(
                "/guardian/snapshot-service",
                new SnapshotCompleted(
                        cluster,
                        id,
                        "s-" + id,
                        "b",
                        "o",
                        "m",
                        "e",
                        "3.4",
                        1,
                        1,
                        1,
                        1,
                        "x",
                        "zstd",
                        null,
                        Instant.now(),
                        1,
                        1,
                        1L)));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> contexts.stream()
                        .allMatch(
                                c -> c.getBean(InFlight.class).current(cluster).isEmpty()));
    }
}
