package io.etcdguardian.common.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.journal.JournalCoverage;
import io.etcdguardian.common.kafka.CompactedTopic;
import io.micronaut.configuration.kafka.annotation.KafkaClient;
import io.micronaut.configuration.kafka.config.DefaultKafkaConsumerConfiguration;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.Producer;

/**
 * The fleet catalogue: the compacted {@code guardian.catalog} topic, one small record per cluster
 * (key {@code <cluster>}: its snapshots in a few lines), per cluster and operation kind (key
 * {@code <cluster>/operation/<KIND>}: the last one) and per cluster with a journal (key
 * {@code <cluster>/journal}: what it makes restorable). Fleet status, the catalogue API and the
 * freshness metrics read it instead of listing every cluster's manifests; the manifests stay the
 * truth and the catalogue is rebuilt from them. Each key has one writer at a time (the cluster's
 * owner for snapshots, the lease holder for an operation), so records are put whole, never merged.
 */
@Singleton
public class FleetCatalog {
    private static final String OPERATION = "/operation/";
    private static final String JOURNAL = "/journal";
    private final CompactedTopic topic;

    public FleetCatalog(
            @KafkaClient(id = "fleet-catalog", acks = KafkaClient.Acknowledge.ALL) Producer<String, byte[]> producer,
            DefaultKafkaConsumerConfiguration<?, ?> consumerConfig) {
        this.topic = new CompactedTopic(Topics.CATALOG, producer, consumerConfig.getConfig());
    }

    public void putSnapshots(CatalogEntry entry) {
        topic.put(entry.clusterId(), json(entry));
    }

    public void putOperation(String clusterId, OperationSummary operation) {
        topic.put(clusterId + OPERATION + operation.kind(), json(operation));
    }

    public void putJournal(JournalCoverage coverage) {
        topic.put(coverage.clusterId() + JOURNAL, json(coverage));
    }

    /** Every record of a cluster, tombstoned: it left the fleet. */
    public void forget(String clusterId) {
        for (String key : topic.all().keySet()) {
            if (clusterOf(key).equals(clusterId)) {
                topic.put(key, null);
            }
        }
    }

    /** The catalogue as the topic holds it now, by cluster id (sorted). */
    public Map<String, ClusterCatalog> read() {
        topic.reload();
        return assemble(topic.all());
    }

    /** One cluster's records only: a fleet's other lines are neither parsed nor held. */
    public Optional<ClusterCatalog> read(String clusterId) {
        topic.reload();
        Map<String, String> own = new HashMap<>();
        topic.all().forEach((key, value) -> {
            if (clusterOf(key).equals(clusterId)) {
                own.put(key, value);
            }
        });
        return Optional.ofNullable(assemble(own).get(clusterId));
    }

    private static Map<String, ClusterCatalog> assemble(Map<String, String> records) {
        Map<String, CatalogEntry> snapshots = new TreeMap<>();
        Map<String, List<OperationSummary>> operations = new TreeMap<>();
        Map<String, JournalCoverage> journals = new TreeMap<>();
        records.forEach((key, value) -> {
            if (key.endsWith(JOURNAL)) {
                journals.put(clusterOf(key), parse(value, JournalCoverage.class));
            } else if (key.contains(OPERATION)) {
                operations
                        .computeIfAbsent(clusterOf(key), c -> new ArrayList<>())
                        .add(parse(value, OperationSummary.class));
            } else {
                snapshots.put(key, parse(value, CatalogEntry.class));
            }
        });
        Map<String, ClusterCatalog> clusters = new TreeMap<>();
        java.util.Set<String> ids = new java.util.TreeSet<>(snapshots.keySet());
        ids.addAll(operations.keySet());
        ids.addAll(journals.keySet());
        ids.forEach(id ->
                clusters.put(id, new ClusterCatalog(id, snapshots.get(id), operations.get(id), journals.get(id))));
        return clusters;
    }

    private static String clusterOf(String key) {
        if (key.endsWith(JOURNAL)) {
            return key.substring(0, key.length() - JOURNAL.length());
        }
        int slash = key.indexOf(OPERATION);
        return slash < 0 ? key : key.substring(0, slash);
    }

    private static String json(Object value) {
        try {
            return EventJson.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot serialise a catalogue record", e);
        }
    }

    private static <T> T parse(String json, Class<T> type) {
        try {
            return EventJson.MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "unreadable record in " + Topics.CATALOG, e);
        }
    }

    @PreDestroy
    void close() {
        topic.close();
    }
}
