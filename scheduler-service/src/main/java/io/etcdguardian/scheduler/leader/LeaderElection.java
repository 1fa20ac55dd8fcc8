package io.etcdguardian.scheduler.leader;

import io.etcdguardian.common.event.Topics;
import io.etcdguardian.scheduler.schedule.ScheduleState;
import io.micronaut.configuration.kafka.config.DefaultKafkaConsumerConfiguration;
import io.micronaut.context.annotation.Context;
import io.etcdguardian.scheduler.SchedulerSettings;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
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
@Context
public class LeaderElection {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final ScheduleState state;
    private final Thread thread;
    private volatile boolean leader;
    private volatile boolean running = true;

    public LeaderElection(DefaultKafkaConsumerConfiguration<?, ?> config, ScheduleState state,
                          SchedulerSettings settings) {
        String group = settings.leaderGroup();
        Duration sessionTimeout = settings.leaderSessionTimeout();
        this.state = state;
        Properties props = new Properties();
        props.putAll(config.getConfig());
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

    private void run() {
        try {
            consumer.subscribe(List.of(Topics.SCHEDULER_LEADER), new ConsumerRebalanceListener() {
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
                        // read what the previous leader did before acting on it
                        state.reload();
                        leader = true;
                        LOG.info("this replica is the scheduler leader");
                    }
                }
            });
            while (running) {
                consumer.poll(Duration.ofMillis(500));
            }
        } catch (WakeupException stopping) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("leader election stopped: {}", e.toString());
            leader = false;
        } finally {
            leader = false;
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @PreDestroy
    void stop() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
