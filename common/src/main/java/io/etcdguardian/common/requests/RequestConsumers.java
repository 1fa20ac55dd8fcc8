package io.etcdguardian.common.requests;

import io.etcdguardian.common.kafka.EventIntake;
import io.etcdguardian.common.kafka.InboundEvent;
import io.etcdguardian.common.kafka.KeyOrderedConsumer;
import io.etcdguardian.common.kafka.OwnedClusters;
import io.micronaut.configuration.kafka.config.DefaultKafkaConsumerConfiguration;
import io.micronaut.context.env.Environment;
import io.micronaut.core.naming.conventions.StringConvention;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Starts a service's request consumers: a {@link KeyOrderedConsumer} per request topic, each record
 * through the {@link EventIntake} (parse, dedup, retries, dead letters, log context), with the
 * service's Kafka settings ({@code kafka.*}, then {@code kafka.consumers.<group>.*}).
 */
@Singleton
public class RequestConsumers {
    /** How long a stopping replica lets running work finish before it interrupts it (it is redelivered). */
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(20);

    private final DefaultKafkaConsumerConfiguration<?, ?> kafka;
    private final Environment environment;
    private final EventIntake intake;
    private final List<KeyOrderedConsumer> started = new CopyOnWriteArrayList<>();

    public RequestConsumers(
            DefaultKafkaConsumerConfiguration<?, ?> kafka, Environment environment, EventIntake intake) {
        this.kafka = kafka;
        this.environment = environment;
        this.intake = intake;
    }

    /**
     * Consumes {@code topic} as {@code group}: per cluster in order, up to {@code concurrency} clusters
     * at once; a revoked partition's running work is awaited up to {@code revokeTimeout}.
     */
    public KeyOrderedConsumer start(
            String topic,
            String group,
            int concurrency,
            Duration revokeTimeout,
            OwnedClusters owned,
            Consumer<InboundEvent> work) {
        Map<String, Object> client = new HashMap<>();
        kafka.getConfig().forEach((key, value) -> client.put(String.valueOf(key), value));
        client.putAll(environment.getProperties("kafka.consumers." + group, StringConvention.RAW));
        KeyOrderedConsumer consumer = new KeyOrderedConsumer(
                client,
                new KeyOrderedConsumer.Settings(topic, group, concurrency, revokeTimeout, SHUTDOWN_GRACE),
                record -> intake.accept(record, group, work),
                owned);
        started.add(consumer);
        return consumer.start();
    }

    @PreDestroy
    void stop() {
        started.forEach(KeyOrderedConsumer::close);
    }
}
