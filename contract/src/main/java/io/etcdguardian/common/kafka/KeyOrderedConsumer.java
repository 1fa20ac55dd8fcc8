package io.etcdguardian.common.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one request topic with per-key order and parallelism across keys: the records of one key
 * (a cluster) run one at a time in offset order; records of different keys run side by side on up
 * to {@code concurrency} threads, whatever the partition count. A partition's offset is committed
 * only up to its first record not yet done, so a crash redelivers everything unfinished and nothing
 * after it is skipped; a key whose work hangs holds back only its own later records (and the
 * partition's commit, not its other keys' work).
 *
 * <p>Hand-written on kafka-clients: Confluent's parallel-consumer 0.5.3.2, the release the registry
 * serves, checks its consumer by reflection on kafka-clients internals that 3.9.1 renamed
 * (confluentinc/parallel-consumer#874), and this project runs kafka-clients 4.1.
 *
 * <p>Rebalances are cooperative (only the partitions that move are revoked). A revoked partition's
 * waiting records are dropped (its new owner gets them again, the commit stays below them) and its
 * running ones are awaited, up to {@code revokeTimeout}, before its offset is committed and it is let go.
 */
public final class KeyOrderedConsumer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyOrderedConsumer.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration RETRY = Duration.ofSeconds(1);

    /** Handles one record; a throw is tried again (after a second) until it returns. */
    @FunctionalInterface
    public interface Handler {
        void handle(ConsumerRecord<String, byte[]> record);
    }

    /**
     * What the consumer is: its topic, group and parallelism; how long a revocation waits for running
     * work, and how long a shutdown does before it interrupts what still runs (redelivered later).
     */
    public record Settings(
            String topic, String group, int concurrency, Duration revokeTimeout, Duration shutdownGrace) {
        public Settings {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
            }
        }
    }

    /** Offsets of one partition: received and not done yet, the next to receive, the last committed. */
    private static final class PartitionOffsets {
        final TreeSet<Long> notDone = new TreeSet<>();
        long next = -1;
        long committed = -1;
        int running;

        long committable() {
            return notDone.isEmpty() ? next : notDone.first();
        }
    }

    private final Settings settings;
    private final Handler handler;
    private final ConsumerRebalanceListener assignments;
    private final KafkaConsumer<String, byte[]> consumer;
    private final ExecutorService workers;
    private final Thread poller;
    private final int maxBuffered;
    private volatile boolean running = true;

    // guarded by this
    private final Map<String, Deque<ConsumerRecord<String, byte[]>>> waiting = new HashMap<>();
    private final Set<String> busyKeys = new HashSet<>();
    private final Map<TopicPartition, PartitionOffsets> offsets = new HashMap<>();
    private int buffered;

    /**
     * {@code client}: how to reach the brokers (bootstrap.servers, security, tuning); {@code
     * assignments} is told of every assignment and revocation (e.g. {@link OwnedClusters}).
     */
    public KeyOrderedConsumer(
            Map<String, Object> client, Settings settings, Handler handler, ConsumerRebalanceListener assignments) {
        this.settings = settings;
        this.handler = handler;
        this.assignments = assignments;
        this.maxBuffered = Math.max(100, settings.concurrency() * 20);
        Map<String, Object> props = new HashMap<>(client);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        // only a revocation blocks the poll thread: it may wait for running work that long
        props.putIfAbsent(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Math.min(
                Integer.MAX_VALUE, settings.revokeTimeout().plusMinutes(5).toMillis()));
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(settings.concurrency(), r -> {
            Thread t = new Thread(r, settings.group() + "-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.poller = new Thread(this::pollLoop, settings.group() + "-poll");
        this.poller.setDaemon(true);
    }

    public KeyOrderedConsumer start() {
        poller.start();
        return this;
    }

    /** Records received and not done (waiting or running). */
    public synchronized int pending() {
        return buffered;
    }

    private void pollLoop() {
        try {
            consumer.subscribe(List.of(settings.topic()), new Rebalance());
            boolean paused = false;
            while (running) {
                var records = consumer.poll(POLL);
                synchronized (this) {
                    records.forEach(this::receive);
                }
                commitDone();
                int now = pending();
                if (!paused && now >= maxBuffered) {
                    consumer.pause(consumer.assignment());
                    paused = true;
                } else if (paused && now < maxBuffered / 2) {
                    consumer.resume(consumer.paused());
                    paused = false;
                }
            }
        } catch (WakeupException stopping) {
            // close() woke it
        } catch (RuntimeException e) {
            LOG.error("consumer of {} stopped: {}", settings.topic(), e.toString(), e);
        } finally {
            stopAndCommit();
        }
    }

    private void receive(ConsumerRecord<String, byte[]> record) {
        PartitionOffsets partition = offsets.computeIfAbsent(
                new TopicPartition(record.topic(), record.partition()), tp -> new PartitionOffsets());
        partition.notDone.add(record.offset());
        partition.next = Math.max(partition.next, record.offset() + 1);
        buffered++;
        String key = keyOf(record);
        waiting.computeIfAbsent(key, k -> new ArrayDeque<>()).add(record);
        if (!busyKeys.contains(key)) {
            startNext(key);
        }
    }

    /** A record without a key is ordered with its partition's other keyless records. */
    private static String keyOf(ConsumerRecord<String, byte[]> record) {
        return record.key() != null ? record.key() : "\u0000partition-" + record.partition();
    }

    private void startNext(String key) {
        Deque<ConsumerRecord<String, byte[]>> queue = waiting.get(key);
        ConsumerRecord<String, byte[]> next = queue == null ? null : queue.poll();
        if (next == null || !running) {
            waiting.remove(key);
            busyKeys.remove(key);
            return;
        }
        busyKeys.add(key);
        PartitionOffsets partition = offsets.get(new TopicPartition(next.topic(), next.partition()));
        if (partition != null) {
            partition.running++;
        }
        workers.execute(() -> run(key, next));
    }

    private void run(String key, ConsumerRecord<String, byte[]> record) {
        boolean done = false;
        while (!done) {
            try {
                handler.handle(record);
                done = true;
            } catch (RuntimeException e) {
                LOG.error(
                        "{}-{}@{} failed, trying again in {}: {}",
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        RETRY,
                        e.toString());
                if (!running || !pause()) {
                    break; // stopping: left undone, so it is consumed again
                }
            }
        }
        synchronized (this) {
            PartitionOffsets partition = offsets.get(new TopicPartition(record.topic(), record.partition()));
            if (partition != null) {
                partition.running--;
                if (done) {
                    partition.notDone.remove(record.offset());
                    buffered--;
                }
            }
            startNext(key);
            notifyAll();
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(RETRY.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void commitDone() {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        synchronized (this) {
            offsets.forEach((tp, partition) -> {
                long offset = partition.committable();
                if (offset > partition.committed) {
                    commit.put(tp, new OffsetAndMetadata(offset));
                }
            });
        }
        if (commit.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(commit);
            synchronized (this) {
                commit.forEach((tp, offset) -> {
                    PartitionOffsets partition = offsets.get(tp);
                    if (partition != null) {
                        partition.committed = Math.max(partition.committed, offset.offset());
                    }
                });
            }
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            // a rebalance in between: the next poll's callbacks settle who commits what
            LOG.warn("could not commit {} offsets: {}", settings.topic(), e.toString());
        }
    }

    /** Drops the waiting records of {@code partitions} and waits for their running ones, up to {@code timeout}. */
    private synchronized void settle(Collection<TopicPartition> partitions, Duration timeout) {
        Set<TopicPartition> leaving = new HashSet<>(partitions);
        waiting.values()
                .forEach(queue -> queue.removeIf(r -> leaving.contains(new TopicPartition(r.topic(), r.partition()))));
        Instant deadline = Instant.now().plus(timeout);
        try {
            while (leaving.stream().map(offsets::get).anyMatch(p -> p != null && p.running > 0)) {
                long left = Duration.between(Instant.now(), deadline).toMillis();
                if (left <= 0) {
                    LOG.warn(
                            "{}: work of {} still running after {}; letting the partitions go, their new owner"
                                    + " resumes it",
                            settings.topic(),
                            leaving,
                            timeout);
                    return;
                }
                wait(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            PartitionOffsets gone = offsets.remove(tp);
            if (gone != null) {
                buffered -= gone.notDone.size();
            }
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            synchronized (KeyOrderedConsumer.this) {
                partitions.forEach(tp -> offsets.putIfAbsent(tp, new PartitionOffsets()));
            }
            assignments.onPartitionsAssigned(partitions);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            assignments.onPartitionsRevoked(partitions);
            settle(partitions, settings.revokeTimeout());
            commitDone();
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // already someone else's: nothing of them may be committed any more
            assignments.onPartitionsRevoked(partitions);
            settle(partitions, Duration.ZERO);
            forget(partitions);
        }
    }

    private void stopAndCommit() {
        running = false;
        List<TopicPartition> all;
        synchronized (this) {
            waiting.clear();
            all = List.copyOf(offsets.keySet());
        }
        settle(all, settings.shutdownGrace());
        try {
            commitDone();
        } catch (RuntimeException e) {
            LOG.warn("final commit of {} failed: {}", settings.topic(), e.toString());
        }
        workers.shutdownNow();
        consumer.close(Duration.ofSeconds(5));
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            poller.join(settings.shutdownGrace().plusSeconds(10).toMillis());
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
