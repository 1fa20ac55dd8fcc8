package io.etcdguardian.common.operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.CompactedTopic;
import io.micronaut.configuration.kafka.annotation.KafkaClient;
import io.micronaut.configuration.kafka.config.DefaultKafkaConsumerConfiguration;
import jakarta.inject.Singleton;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.producer.Producer;

/**
 * Every operation's record in the compacted {@code guardian.operations} topic, keyed by operation
 * id: written before the first change and at the end. Any replica reads what another wrote.
 */
@Singleton
public class OperationJournal {
    private final CompactedTopic topic;

    public OperationJournal(
            @KafkaClient(id = "operation-journal", acks = KafkaClient.Acknowledge.ALL)
                    Producer<String, byte[]> producer,
            DefaultKafkaConsumerConfiguration<?, ?> consumerConfig) {
        this.topic = new CompactedTopic(Topics.OPERATIONS, producer, consumerConfig.getConfig());
    }

    /** The operation's record, read from the topic now. */
    public Optional<OperationRecord> find(String operationId) {
        topic.reload();
        return topic.get(operationId).map(OperationJournal::parse);
    }

    /** A cluster's operations of one kind, newest first. */
    public List<OperationRecord> ofCluster(String clusterId, OperationKind kind) {
        return ofCluster(clusterId).stream().filter(r -> r.kind() == kind).toList();
    }

    /** A cluster's operations of every kind, newest first. */
    public List<OperationRecord> ofCluster(String clusterId) {
        topic.reload();
        return topic.all().values().stream()
                .map(OperationJournal::parse)
                .filter(r -> r.clusterId().equals(clusterId))
                .sorted(Comparator.comparing(OperationRecord::startedAt).reversed())
                .toList();
    }

    /**
     * The snapshots that open restores of the cluster read: a restore that stopped FAILED is resumed
     * later from the snapshot it started with, so retention must keep that snapshot until it ends.
     */
    public Set<String> snapshotsOfOpenRestores(String clusterId) {
        return snapshotsOfOpenRestores(ofCluster(clusterId));
    }

    /** The same, from a cluster's operations read already. */
    public static Set<String> snapshotsOfOpenRestores(List<OperationRecord> operations) {
        return operations.stream()
                .filter(r -> r.kind() == OperationKind.RESTORE && r.isOpen() && r.subject() != null)
                .map(OperationRecord::subject)
                .collect(java.util.stream.Collectors.toSet());
    }

    public OperationRecord record(OperationRecord record) {
        try {
            topic.put(record.operationId(), EventJson.MAPPER.writeValueAsString(record));
            return record;
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot journal operation " + record.operationId(), e);
        }
    }

    private static OperationRecord parse(String json) {
        try {
            return EventJson.MAPPER.readValue(json, OperationRecord.class);
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "unreadable operation record in " + Topics.OPERATIONS, e);
        }
    }

    @jakarta.annotation.PreDestroy
    void close() {
        topic.close();
    }
}
