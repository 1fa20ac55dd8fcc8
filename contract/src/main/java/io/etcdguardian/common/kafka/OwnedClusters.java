package io.etcdguardian.common.kafka;

import io.etcdguardian.common.event.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

/**
 * Which clusters this replica is responsible for: those whose requests it consumes from {@code
 * topic}. A cluster's requests all land on one partition (key = cluster id), so the replica Kafka
 * assigns that partition both handles the cluster's requests and runs its periodic work (health
 * watch, retention, drills, sweeps); replicas split the fleet between them and a cluster is never
 * taken twice, nor left out while one replica lives. It is the rebalance listener of the topic's
 * consumer. The partition count is the broker's, read at each assignment (a
 * topic created with fewer partitions than ours, or given more later, still maps every cluster).
 */
public class OwnedClusters implements ConsumerRebalanceListener {
    private final String topic;
    private final ToIntFunction<String> partitionCount;
    private final Set<Integer> partitions = ConcurrentHashMap.newKeySet();
    private volatile int count = Topics.PARTITIONS;

    /** {@code partitionCount}: the broker's count for a topic (e.g. a producer's {@code partitionsFor}). */
    public OwnedClusters(String topic, ToIntFunction<String> partitionCount) {
        this.topic = topic;
        this.partitionCount = partitionCount;
    }

    public boolean owns(String clusterId) {
        return partitions.contains(partitionOf(clusterId, count));
    }

    public boolean ownsAny() {
        return !partitions.isEmpty();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        if (assigned.stream().anyMatch(p -> p.topic().equals(topic))) {
            count = partitionCount.applyAsInt(topic);
        }
        assigned.stream().filter(p -> p.topic().equals(topic)).forEach(p -> partitions.add(p.partition()));
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
        revoked.stream().filter(p -> p.topic().equals(topic)).forEach(p -> partitions.remove(p.partition()));
    }

    /** Kafka's default partitioner for a keyed record: murmur2 of the key, modulo the partition count. */
    static int partitionOf(String clusterId, int partitions) {
        return Utils.toPositive(Utils.murmur2(clusterId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
