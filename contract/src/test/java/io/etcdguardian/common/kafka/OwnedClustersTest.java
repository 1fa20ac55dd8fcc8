package io.etcdguardian.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.event.Topics;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OwnedClustersTest {
    @Test
    void aClusterIsOwnedByTheReplicaAssignedThePartitionItsRequestsLandOn() {
        OwnedClusters one = new OwnedClusters(Topics.BACKUP_REQUESTS, t -> Topics.PARTITIONS);
        OwnedClusters two = new OwnedClusters(Topics.BACKUP_REQUESTS, t -> Topics.PARTITIONS);
        List<TopicPartition> all = IntStream.range(0, Topics.PARTITIONS)
                .mapToObj(p -> new TopicPartition(Topics.BACKUP_REQUESTS, p))
                .toList();
        one.onPartitionsAssigned(all.subList(0, Topics.PARTITIONS / 2));
        two.onPartitionsAssigned(all.subList(Topics.PARTITIONS / 2, Topics.PARTITIONS));

        for (int i = 0; i < 200; i++) {
            String cluster = "cluster-" + i;
            assertThat(one.owns(cluster)).as(cluster).isNotEqualTo(two.owns(cluster));
            // the producer's own partitioner puts the cluster's requests on the partition ownership is computed for
            int landsOn = BuiltInPartitioner.partitionForKey(cluster.getBytes(), Topics.PARTITIONS);
            assertThat(one.owns(cluster)).isEqualTo(landsOn < Topics.PARTITIONS / 2);
        }
    }

    @Test
    void otherTopicsAndRevokedPartitionsOwnNothing() {
        OwnedClusters owned = new OwnedClusters(Topics.RESTORE_REQUESTS, t -> Topics.PARTITIONS);
        owned.onPartitionsAssigned(List.of(new TopicPartition(Topics.BACKUP_REQUESTS, 0)));
        assertThat(owned.ownsAny()).isFalse();

        List<TopicPartition> all = IntStream.range(0, Topics.PARTITIONS)
                .mapToObj(p -> new TopicPartition(Topics.RESTORE_REQUESTS, p))
                .toList();
        owned.onPartitionsAssigned(all);
        assertThat(owned.owns("any")).isTrue();
        owned.onPartitionsRevoked(all);
        assertThat(owned.ownsAny()).isFalse();
        assertThat(owned.owns("any")).isFalse();
    }

    @Test
    void aTopicWithFewerPartitionsThanOursStillMapsEveryCluster() {
        // created by hand with 3 partitions: the broker's count, not ours (12), decides where requests land
        OwnedClusters owned = new OwnedClusters(Topics.MAINTENANCE_REQUESTS, t -> 3);
        owned.onPartitionsAssigned(List.of(
                new TopicPartition(Topics.MAINTENANCE_REQUESTS, 0),
                new TopicPartition(Topics.MAINTENANCE_REQUESTS, 1),
                new TopicPartition(Topics.MAINTENANCE_REQUESTS, 2)));
        for (int i = 0; i < 200; i++) {
            assertThat(owned.owns("cluster-" + i)).as("cluster-" + i).isTrue();
        }
        owned.onPartitionsRevoked(List.of(new TopicPartition(Topics.MAINTENANCE_REQUESTS, 2)));
        for (int i = 0; i < 200; i++) {
            String cluster = "cluster-" + i;
            assertThat(owned.owns(cluster)).isEqualTo(BuiltInPartitioner.partitionForKey(cluster.getBytes(), 3) != 2);
        }
    }
}
