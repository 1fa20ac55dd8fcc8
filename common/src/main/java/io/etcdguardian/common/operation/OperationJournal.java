package io.etcdguardian.common.operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.catalog.FleetCatalog;
import io.etcdguardian.common.catalog.OperationSummary;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every operation's record in the compacted {@code guardian.operations} topic, keyed by operation
 * id: written before the first change and at the end. Any replica reads what another wrote.
 */
@Singleton
public class OperationJournal {
    private static final Logger LOG = LoggerFactory.getLogger(OperationJournal.class);
    private final CompactedTopic topic;
    private final FleetCatalog catalog;

    public OperationJournal(
            @KafkaClient(id = "operation-journal", acks = KafkaClient.Acknowledge.ALL)
                    Producer<String, byte[]> producer,
            DefaultKafkaConsumerConfiguration<?, ?> consumerConfig,
            FleetCatalog catalog) {
        this.topic = new CompactedTopic(Topics.OPERATIONS, producer, consumerConfig.getConfig());
        this.catalog = catalog;
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
                .filter(r -> !r.isPrefixRestore())
                .map(OperationRecord::subject)
                .collect(java.util.stream.Collectors.toSet());
    }

    public OperationRecord record(OperationRecord record) {
        try {
            topic.put(record.operationId(), EventJson.MAPPER.writeValueAsString(record));
            summarise(record);
            return record;
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot journal operation " + record.operationId(), e);
        }
    }

    /** The fleet catalogue's line for it; the journal is the truth, so a catalogue that cannot be written only lags. */
    private void summarise(OperationRecord record) {
        try {
            catalog.putOperation(record.clusterId(), summaryOf(record));
        } catch (RuntimeException e) {
            LOG.warn(
                    "operation {} journaled, its line in the fleet catalogue not written ({}); a catalogue rebuild"
                            + " brings it back",
                    record.operationId(),
                    e.getMessage());
        }
    }

    public static OperationSummary summaryOf(OperationRecord record) {
        return new OperationSummary(
                record.operationId(),
                record.kind().name(),
                record.status().name(),
                record.startedAt(),
                record.at(),
                record.done().size(),
                record.plan().size(),
                record.stoppedAt(),
                record.reason());
    }

    /** Every cluster's last operation of each kind, newest first within a cluster: what a catalogue rebuild writes. */
    public List<OperationRecord> lastOfEachKind() {
        topic.reload();
        java.util.Map<String, OperationRecord> last = new java.util.HashMap<>();
        for (String json : topic.all().values()) {
            OperationRecord r = parse(json);
            last.merge(
                    r.clusterId() + "/" + r.kind(), r, (a, b) -> a.startedAt().isAfter(b.startedAt()) ? a : b);
        }
        return List.copyOf(last.values());
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
