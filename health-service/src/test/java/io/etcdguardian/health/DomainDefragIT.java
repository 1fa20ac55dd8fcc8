package io.etcdguardian.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.cloudevents.CloudEvent;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.EventEnvelope;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import io.etcdguardian.localetcd.EtcdCluster;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two clusters on one storage domain with {@code domain-defrags: 1}, both asked to defragment at
 * once (the service would run two at once otherwise): one defragments, the other reports WAITING
 * naming it, and starts only after the first's last member is done; both complete.
 */
@ExtendWith(BackplaneExtension.class)
class DomainDefragIT {
    @TempDir
    Path dir;

    @Test
    void twoClustersOfOneDomainDefragmentOneAfterTheOther(Backplane backplane) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 6);
        String a = "domain-a-" + run;
        String b = "domain-b-" + run;
        EtcdCluster etcd = EtcdCluster.plan(dir.resolve("etcd"), 3, 0).start();
        try {
            String endpoints = String.join(", ", etcd.endpoints());
            Path fleet = Files.writeString(dir.resolve("fleet.yaml"), """
                    defaults:
                      etcd: { endpoints: [%s] }
                      store: { bucket: %s, endpoint: "%s" }
                      storageDomain: array-%s
                    clusters:
                      - id: %s
                      - id: %s
                    """.formatted(
                            endpoints, backplane.bucket(), dir.resolve("store").toUri(), run, a, b));
            Map<String, Object> props = new HashMap<>(HealthServiceUnderTest.settings(
                    backplane,
                    dir,
                    a,
                    etcd,
                    "",
                    "",
                    Map.of(
                            "guardian.health.auto-maintenance", "false",
                            "guardian.health.poll-interval", "1s",
                            "guardian.health.settle", "2s",
                            // each member's turn takes a while: the second cluster's request comes in meanwhile
                            "guardian.health.settle-min", "1s",
                            "guardian.health.domain-defrags", 1)));
            props.put("guardian.fleet.file", fleet.toString());
            try (ApplicationContext service =
                            ApplicationContext.run(EmbeddedServer.class, props).getApplicationContext();
                    EventStream stream = new EventStream(backplane.kafka().bootstrapServers());
                    EventStream.Follower health = stream.follow(Topics.HEALTH_EVENTS)) {
                CloudEvent first = request(a);
                CloudEvent second = request(b);
                stream.publish(first);
                stream.publish(second);
                List<MaintenanceProgress> events = new ArrayList<>();
                int ended = 0;
                while (ended < 2) {
                    MaintenanceProgress p = (MaintenanceProgress) health.await(
                                    e -> e instanceof MaintenanceProgress m
                                            && (m.operationId().equals(first.getId())
                                                    || m.operationId().equals(second.getId())),
                                    Duration.ofSeconds(120))
                            .orElseThrow(() -> new AssertionError("no outcome; events so far: " + events));
                    events.add(p);
                    if (p.step().equals("maintenance")) {
                        ended++;
                        assertThat(p.status()).as(p.toString()).isEqualTo(ProgressStatus.COMPLETED);
                    }
                }
                MaintenanceProgress waited = events.stream()
                        .filter(p -> p.status() == ProgressStatus.WAITING && p.member() == null)
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("nobody waited for the domain: " + events));
                String waiter = waited.clusterId();
                String holder = waiter.equals(a) ? b : a;
                assertThat(waited.detail())
                        .contains("storage domain array-" + run)
                        .contains(holder)
                        .contains("waiting up to");
                Instant holderDone = lastDefragDone(events, holder);
                Instant waiterStarted = events.stream()
                        .filter(p -> p.clusterId().equals(waiter)
                                && p.step().equals("defrag")
                                && p.status() == ProgressStatus.STARTED)
                        .map(MaintenanceProgress::at)
                        .min(Instant::compareTo)
                        .orElseThrow();
                assertThat(waiterStarted)
                        .as("%s defragments only after %s's last member is done", waiter, holder)
                        .isAfterOrEqualTo(holderDone);
            }
        } finally {
            etcd.stop();
        }
    }

    private static CloudEvent request(String cluster) {
        return EventEnvelope.wrap(
                "/test",
                new MaintenanceRequested(
                        cluster, MaintenanceRequested.Action.DEFRAG, "operator", "test", Instant.now()));
    }

    private static Instant lastDefragDone(List<MaintenanceProgress> events, String cluster) {
        return events.stream()
                .filter(p ->
                        p.clusterId().equals(cluster) && p.step().equals("defrag") && p.status() == ProgressStatus.DONE)
                .map(MaintenanceProgress::at)
                .max(Instant::compareTo)
                .orElseThrow(() -> new AssertionError(cluster + " defragmented no member: " + events));
    }
}
