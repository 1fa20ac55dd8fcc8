package io.etcdguardian.scheduler.leader;

import io.etcdguardian.common.event.Topics;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election through Kafka group membership: every replica joins one group on the single
 * partition of {@code guardian.scheduler.leader}; the one assigned it leads. No Kubernetes API is
 * needed, and a replica that dies loses it after the session timeout. Request ids are deterministic
 * per cluster and slot as well, so even two leaders for a moment emit one request, not two.
 */
public class LeaderElection {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);
    /** After a failure: step down, leave the group (another replica may lead), join again after this. */
    static final Duration RETRY = Duration.ofSeconds(2);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Runnable beforeLeading;
    private final Thread thread;
    private volatile boolean leader;
    private volatile boolean running = true;

    /** {@code beforeLeading}: runs each time this replica becomes the leader, before it acts as one. */
    public LeaderElection(Map<?, ?> config, Runnable beforeLeading, String group, Duration sessionTimeout) {
        this.beforeLeading = beforeLeading;
        Properties props = new Properties();
        props.putAll(config);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Long.toString(sessionTimeout.toMillis()));
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Long.toString(sessionTimeout.toMillis() / 4));
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "scheduler-leader-election");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public boolean isLeader() {
        return leader;
    }

    /**
     * Any failure — the state unreadable when the partition comes, the broker refusing a poll — steps
     * down and tries again: a loop that ended on its first exception left the replica out of the
     * election for good, and a fleet whose replicas all hit it took no scheduled backup at all.
     */
    private void run() {
        try {
            while (running) {
                try {
                    consumer.subscribe(List.of(Topics.SCHEDULER_LEADER), new Rebalance());
                    while (running) {
                        consumer.poll(Duration.ofMillis(500));
                    }
                } catch (WakeupException stopping) {
                    return;
                } catch (RuntimeException e) {
                    leader = false;
                    // Kafka wraps what the rebalance callback threw: the cause is the reason
                    LOG.error(
                            "leader election failed, stepping down and joining again in {}: {}",
                            RETRY,
                            e.getCause() != null ? e.getCause().toString() : e.toString());
                    leaveGroup();
                    pause();
                }
            }
        } finally {
            leader = false;
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** A partition this replica cannot lead on goes back to the group. */
    private void leaveGroup() {
        try {
            consumer.unsubscribe();
        } catch (RuntimeException e) {
            LOG.warn("could not leave the leader group: {}", e.toString());
        }
    }

    private void pause() {
        try {
            Thread.sleep(RETRY.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (leader) {
                LOG.info("no longer the scheduler leader");
            }
            leader = false;
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                beforeLeading.run(); // throws through poll(): the loop steps down and leaves the group
                leader = true;
                LOG.info("this replica is the scheduler leader");
            }
        }
    }

    public void stop() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
