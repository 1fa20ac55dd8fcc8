package io.etcdguardian.common.kafka;

import io.etcdguardian.common.event.Topics;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the backplane's topics at start-up when they are missing (dev, tests, small installs).
 * Where topics are managed elsewhere (Strimzi KafkaTopic), set guardian.topics.create=false.
 */
@Context
@Requires(property = "guardian.topics.create", notEquals = "false")
@Requires(beans = AdminClient.class)
public class TopicInitializer {
    private static final Logger LOG = LoggerFactory.getLogger(TopicInitializer.class);

    public TopicInitializer(AdminClient admin) {
        List<NewTopic> topics = Topics.all().stream()
                .map(t -> {
                    NewTopic topic = new NewTopic(t.name(), t.partitions(), (short) -1);
                    if (t.compacted() && t.retention() != null) {
                        topic.configs(Map.of(
                                TopicConfig.CLEANUP_POLICY_CONFIG,
                                TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE,
                                TopicConfig.RETENTION_MS_CONFIG,
                                Long.toString(t.retention().toMillis())));
                    } else if (t.compacted()) {
                        topic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
                    }
                    return topic;
                })
                .toList();
        java.util.concurrent.atomic.AtomicBoolean refused = new java.util.concurrent.atomic.AtomicBoolean();
        admin.createTopics(topics).values().forEach((name, future) -> {
            try {
                future.get(30, TimeUnit.SECONDS);
                LOG.info("created topic {}", name);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof org.apache.kafka.common.errors.AuthorizationException) {
                    // a secured broker: topics are its administrator's to create (ACLs grant no CREATE)
                    if (refused.compareAndSet(false, true)) {
                        LOG.info("not allowed to create topics on this broker; expecting them to exist");
                    }
                } else if (!(e.getCause() instanceof TopicExistsException)) {
                    LOG.warn("cannot create topic {}: {}", name, e.getCause().toString());
                }
            } catch (Exception e) {
                LOG.warn("cannot create topic {}: {}", name, e.toString());
            }
        });
    }
}
