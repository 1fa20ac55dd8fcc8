package io.etcdguardian.health.watch;

import io.etcdguardian.common.event.Topics;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

/**
 * Which clusters this replica watches: those whose maintenance requests it consumes. A cluster's
 * requests all land on one partition of {@code guardian.maintenance.requests} (key = cluster id), so
 * the replica Kafka assigns that partition to both watches the cluster and defragments it; replicas
 * split the fleet between them and a cluster is never watched twice, nor left out while one replica lives.
 */
@Singleton
public class OwnedClusters {
    private final Set<Integer> partitions = ConcurrentHashMap.newKeySet();

    public boolean owns(String clusterId) {
        return partitions.contains(partitionOf(clusterId));
    }

    public boolean ownsAny() {
        return !partitions.isEmpty();
    }

    public void assigned(Collection<TopicPartition> assigned) {
        assigned.stream()
                .filter(p -> p.topic().equals(Topics.MAINTENANCE_REQUESTS))
                .forEach(p -> partitions.add(p.partition()));
    }

    public void revoked(Collection<TopicPartition> revoked) {
        revoked.stream()
                .filter(p -> p.topic().equals(Topics.MAINTENANCE_REQUESTS))
                .forEach(p -> partitions.remove(p.partition()));
    }

    /** Kafka's default partitioner for a keyed record: murmur2 of the key, modulo the partition count. */
    static int partitionOf(String clusterId) {
        return Utils.toPositive(Utils.murmur2(clusterId.getBytes(StandardCharsets.UTF_8))) % Topics.PARTITIONS;
    }
}
