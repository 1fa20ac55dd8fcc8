package io.etcdguardian.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.backplane.TopicSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Per-key order, parallelism beyond the partition count, no head-of-line blocking, commits, on the real broker. */
@ExtendWith(BackplaneExtension.class)
class KeyOrderedConsumerIT {
    private static final ConsumerRebalanceListener NOBODY = new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
    };

    /** One handled record: its key, its sequence number within the key, when it started and ended. */
    private record Handled(String key, int seq, long startNanos, long endNanos) {}

    @Test
    void recordsOfOneKeyRunInOrderAndKeysRunInParallelBeyondThePartitionCount(Backplane backplane) throws Exception {
        String topic = topic(backplane, 2);
        List<Handled> handled = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        int keys = 8;
        int perKey = 5;
        try (KeyOrderedConsumer consumer = consumer(backplane, topic, 8, record -> {
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            long start = System.nanoTime();
            sleep(100);
            running.decrementAndGet();
            handled.add(new Handled(record.key(), seqOf(record), start, System.nanoTime()));
        })) {
            try (KafkaProducer<String, byte[]> producer = producer(backplane)) {
                for (int seq = 0; seq < perKey; seq++) {
                    for (int k = 0; k < keys; k++) {
                        producer.send(new ProducerRecord<>(topic, "cluster-" + k, bytes(seq)));
                    }
                }
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == keys * perKey);
            for (int k = 0; k < keys; k++) {
                String key = "cluster-" + k;
                List<Handled> ofKey =
                        handled.stream().filter(h -> h.key().equals(key)).toList();
                assertThat(ofKey).extracting(Handled::seq).as(key).containsExactly(0, 1, 2, 3, 4);
                for (int i = 1; i < ofKey.size(); i++) {
                    assertThat(ofKey.get(i).startNanos())
                            .as("%s: one at a time", key)
                            .isGreaterThanOrEqualTo(ofKey.get(i - 1).endNanos());
                }
            }
            assertThat(mostAtOnce.get())
                    .as("records of different keys at once, more than the 2 partitions allow one-at-a-time")
                    .isGreaterThan(2);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> committedTotal(backplane, topic, "g-" + topic) == (long) keys * perKey);
        }
    }

    @Test
    void aHungKeyHoldsBackOnlyItsOwnRecordsAndTheCommitStaysBelowIt(Backplane backplane) throws Exception {
        String topic = topic(backplane, 1); // every key on one partition: the worst case for head-of-line blocking
        CountDownLatch release = new CountDownLatch(1);
        Set<String> done = ConcurrentHashMap.newKeySet();
        String group = "g-" + topic;
        try (KeyOrderedConsumer consumer = consumer(backplane, topic, 4, record -> {
            if (record.key().equals("hung")) {
                waitFor(release);
            }
            done.add(record.key() + "/" + seqOf(record));
        })) {
            try (KafkaProducer<String, byte[]> producer = producer(backplane)) {
                producer.send(new ProducerRecord<>(topic, "before", bytes(0)));
                producer.send(new ProducerRecord<>(topic, "hung", bytes(0))); // offset 1
                producer.send(new ProducerRecord<>(topic, "hung", bytes(1)));
                for (int k = 0; k < 10; k++) {
                    producer.send(new ProducerRecord<>(topic, "other-" + k, bytes(0)));
                }
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> done.size() == 11);
            assertThat(done).doesNotContain("hung/0", "hung/1");
            await().atMost(Duration.ofSeconds(20)).until(() -> committed(backplane, topic, group, 0) == 1L);
            assertThat(consumer.pending())
                    .as("the hung record and the one behind it")
                    .isEqualTo(2);

            release.countDown();
            await().atMost(Duration.ofSeconds(20)).until(() -> done.containsAll(List.of("hung/0", "hung/1")));
            await().atMost(Duration.ofSeconds(20)).until(() -> committed(backplane, topic, group, 0) == 13L);
        }
    }

    @Test
    void workUnfinishedWhenAReplicaStopsIsConsumedAgainByTheNext(Backplane backplane) throws Exception {
        String topic = topic(backplane, 1);
        CountDownLatch never = new CountDownLatch(1);
        List<String> first = new CopyOnWriteArrayList<>();
        try (KafkaProducer<String, byte[]> producer = producer(backplane)) {
            producer.send(new ProducerRecord<>(topic, "a", bytes(0)));
            producer.send(new ProducerRecord<>(topic, "stuck", bytes(0)));
            producer.send(new ProducerRecord<>(topic, "b", bytes(0)));
        }
        KeyOrderedConsumer replica = consumer(backplane, topic, 2, record -> {
            if (record.key().equals("stuck")) {
                waitFor(never); // interrupted when the replica stops
            }
            first.add(record.key());
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> first.containsAll(List.of("a", "b")));
        replica.close();

        List<String> second = new CopyOnWriteArrayList<>();
        try (KeyOrderedConsumer next = consumer(backplane, topic, 2, record -> second.add(record.key()))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> second.contains("stuck"));
            assertThat(second)
                    .as("committed before the stuck record: not again")
                    .doesNotContain("a");
        }
    }

    @Test
    void ownershipMapsClustersWithTheBrokersPartitionCount(Backplane backplane) throws Exception {
        String topic = topic(backplane, 3); // not our 12: a constant would map most clusters to partitions nobody has
        Map<String, Set<String>> handledBy = new ConcurrentHashMap<>();
        try (KafkaProducer<String, byte[]> producer = producer(backplane)) {
            OwnedClusters ownedA =
                    new OwnedClusters(topic, t -> producer.partitionsFor(t).size());
            OwnedClusters ownedB =
                    new OwnedClusters(topic, t -> producer.partitionsFor(t).size());
            try (KeyOrderedConsumer a = replica(backplane, topic, ownedA, "a", handledBy);
                    KeyOrderedConsumer b = replica(backplane, topic, ownedB, "b", handledBy)) {
                List<String> clusters = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    clusters.add("cluster-" + i);
                }
                // both replicas hold partitions, and between them every cluster is someone's
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> ownedA.ownsAny()
                                && ownedB.ownsAny()
                                && clusters.stream().allMatch(c -> ownedA.owns(c) ^ ownedB.owns(c)));
                for (String cluster : clusters) {
                    producer.send(new ProducerRecord<>(topic, cluster, bytes(0)));
                }
                producer.flush();
                await().atMost(Duration.ofSeconds(60))
                        .until(() ->
                                handledBy.values().stream().mapToInt(Set::size).sum() == clusters.size());
                for (String cluster : clusters) {
                    assertThat(handledBy.get(cluster))
                            .as(cluster + ": handled by the replica that owns it, by the broker's 3 partitions")
                            .containsExactly(ownedA.owns(cluster) ? "a" : "b");
                }
            }
        }
    }

    private static KeyOrderedConsumer replica(
            Backplane backplane, String topic, OwnedClusters owned, String name, Map<String, Set<String>> handledBy) {
        return new KeyOrderedConsumer(
                        Map.of("bootstrap.servers", backplane.kafka().bootstrapServers(), "session.timeout.ms", 6000),
                        new KeyOrderedConsumer.Settings(
                                topic, "g-" + topic, 2, Duration.ofSeconds(10), Duration.ofSeconds(1)),
                        record -> handledBy
                                .computeIfAbsent(record.key(), k -> ConcurrentHashMap.newKeySet())
                                .add(name),
                        owned)
                .start();
    }

    private static KeyOrderedConsumer consumer(
            Backplane backplane, String topic, int concurrency, KeyOrderedConsumer.Handler h) {
        return new KeyOrderedConsumer(
                        Map.of("bootstrap.servers", backplane.kafka().bootstrapServers(), "session.timeout.ms", 6000),
                        new KeyOrderedConsumer.Settings(
                                topic, "g-" + topic, concurrency, Duration.ofSeconds(10), Duration.ofSeconds(1)),
                        h,
                        NOBODY)
                .start();
    }

    private static String topic(Backplane backplane, int partitions) {
        String topic = "key-ordered-" + UUID.randomUUID().toString().substring(0, 8);
        backplane.kafka().createTopics(List.of(new TopicSpec(topic, partitions, false)));
        return topic;
    }

    private static KafkaProducer<String, byte[]> producer(Backplane backplane) {
        return new KafkaProducer<>(
                Map.of("bootstrap.servers", backplane.kafka().bootstrapServers(), "acks", "all"),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    private static long committed(Backplane backplane, String topic, String group, int partition) throws Exception {
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, backplane.kafka().bootstrapServers()))) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS)
                    .get(new TopicPartition(topic, partition));
            return offset == null ? -1 : offset.offset();
        }
    }

    private static long committedTotal(Backplane backplane, String topic, String group) throws Exception {
        List<Long> each = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            each.add(Math.max(0, committed(backplane, topic, group, p)));
        }
        return each.stream().mapToLong(Long::longValue).sum();
    }

    private static byte[] bytes(int seq) {
        return Integer.toString(seq).getBytes(StandardCharsets.UTF_8);
    }

    private static int seqOf(ConsumerRecord<String, byte[]> record) {
        return Integer.parseInt(new String(record.value(), StandardCharsets.UTF_8));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void waitFor(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("stopped while waiting", e);
        }
    }
}
