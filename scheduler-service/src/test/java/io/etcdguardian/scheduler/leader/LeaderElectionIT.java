package io.etcdguardian.scheduler.leader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.common.event.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The election on a real broker survives what goes wrong inside it: it steps down and joins again. */
@ExtendWith(BackplaneExtension.class)
class LeaderElectionIT {
    private Map<String, Object> kafka;
    private String group;

    @BeforeEach
    void broker(Backplane backplane) {
        backplane.kafka().createTopics(List.of(new TopicSpec(Topics.SCHEDULER_LEADER, 1, false)));
        kafka = Map.of("bootstrap.servers", backplane.kafka().bootstrapServers());
        group = "leader-test-" + UUID.randomUUID().toString().substring(0, 6);
    }

    @Test
    void aReplicaWhoseStateCannotBeReadWhenItWouldLeadTriesAgainAndLeads() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        LeaderElection election = new LeaderElection(
                kafka,
                () -> {
                    if (reads.incrementAndGet() == 1) {
                        throw new IllegalStateException("guardian.scheduler.state unreadable");
                    }
                },
                group,
                Duration.ofSeconds(6));
        try {
            await().atMost(Duration.ofSeconds(60)).until(election::isLeader);
            assertThat(reads.get())
                    .as("the first read failed, the election went on")
                    .isEqualTo(2);
        } finally {
            election.stop();
        }
        assertThat(election.isLeader()).as("stopped: no longer leads").isFalse();
    }

    @Test
    void aReplicaThatCannotLeadLeavesTheLeadershipToOneThatCan() throws Exception {
        AtomicInteger brokenReads = new AtomicInteger();
        LeaderElection broken = new LeaderElection(
                kafka,
                () -> {
                    brokenReads.incrementAndGet();
                    throw new IllegalStateException("state unreadable on this replica");
                },
                group,
                Duration.ofSeconds(6));
        LeaderElection healthy = null;
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> brokenReads.get() > 0); // it had the partition first
            healthy = new LeaderElection(kafka, () -> {}, group, Duration.ofSeconds(6));
            LeaderElection other = healthy;
            await().atMost(Duration.ofSeconds(60)).until(other::isLeader);
            assertThat(broken.isLeader()).isFalse();
        } finally {
            broken.stop();
            if (healthy != null) {
                healthy.stop();
            }
        }
    }
}
