package io.etcdguardian.common.fleet;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PostConstruct;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet as this service sees it now. Two sources: the fleet file ({@code guardian.fleet.file},
 * re-read when it changes) and the compacted fleet topic, whose entries override the file's per
 * cluster. At start-up an invalid file fails the service with every problem listed; at run time an
 * invalid cluster keeps its last valid spec and the problem is logged, so one typo cannot stop
 * the rest of the fleet.
 */
// eager: an invalid fleet must fail the service at start-up, not at the first event
@Context
public class FleetRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(FleetRegistry.class);

    private final Path file;
    private final ApplicationEventPublisher<FleetChanged> events;
    private Map<String, ClusterSpec> fromFile = Map.of();
    private Map<String, ObjectNode> fileEntries = Map.of();
    private final java.util.Set<String> topicKeys;
    private final Map<String, String> topicRecords = new LinkedHashMap<>();
    private final Map<String, ClusterSpec> fromTopic = new LinkedHashMap<>();
    private ObjectNode defaults = JsonNodeFactory.instance.objectNode();
    private FileTime fileStamp;
    private volatile Fleet current = Fleet.EMPTY;

    public FleetRegistry(FleetSettings settings, ApplicationEventPublisher<FleetChanged> events) {
        this.file = settings.file() == null || settings.file().isBlank() ? null : Path.of(settings.file());
        this.events = events;
        this.topicKeys = java.util.Set.copyOf(settings.topicKeys());
    }

    /** Fleet-topic records may set whole clusters: the old behaviour, chosen explicitly with allowed-keys "*". */
    private boolean topicSetsWholeClusters() {
        return topicKeys.contains("*");
    }

    @PostConstruct
    void loadAtStartup() {
        if (file == null) {
            LOG.info("no guardian.fleet.file: the fleet comes from the fleet topic only");
            return;
        }
        FleetParser.Result result = readFile();
        if (!result.problems().isEmpty()) {
            throw new FleetConfigException("guardian.fleet.file=" + file, result.problems());
        }
        apply(result, true);
    }

    public Fleet current() {
        return current;
    }

    public Optional<ClusterSpec> find(String clusterId) {
        return current.find(clusterId);
    }

    public ClusterSpec require(String clusterId) {
        return find(clusterId)
                .orElseThrow(() -> new GuardianException(
                        Reason.UNKNOWN_CLUSTER, "cluster '" + clusterId + "' is not in the fleet"));
    }

    @Scheduled(
            fixedDelay = "${guardian.fleet.reload-interval:10s}",
            initialDelay = "${guardian.fleet.reload-interval:10s}")
    public synchronized void reloadFileIfChanged() {
        if (file == null) {
            return;
        }
        try {
            FileTime stamp = Files.getLastModifiedTime(file);
            if (stamp.equals(fileStamp)) {
                return;
            }
        } catch (IOException e) {
            LOG.error("fleet file {} is unreadable; keeping the fleet as it was", file);
            return;
        }
        apply(readFile(), false);
    }

    /**
     * One record of the fleet topic: an override of the allowed keys of a cluster the file defines
     * (or a whole cluster spec when allowed-keys is "*"), or null (tombstone) to drop the topic's
     * entry. Returns why a record was refused — nothing of it applies, the cluster keeps its spec.
     */
    public synchronized Optional<String> applyTopicRecord(String clusterId, @Nullable String value) {
        Map<String, ClusterSpec> before = merged();
        if (value == null) {
            fromTopic.remove(clusterId);
            topicRecords.remove(clusterId);
            publish(before);
            return Optional.empty();
        }
        FleetParser.Result result;
        if (topicSetsWholeClusters()) {
            result = FleetParser.parseCluster(value, clusterId, defaults);
        } else if (!fileEntries.containsKey(clusterId)) {
            result = new FleetParser.Result(
                    Map.of(),
                    List.of(new FleetProblem(
                            clusterId,
                            "id",
                            "not in the fleet file:"
                                    + " the fleet topic changes clusters the file defines, it does not add them")),
                    defaults);
        } else {
            result = FleetParser.parseOverride(value, clusterId, defaults, fileEntries.get(clusterId), topicKeys);
        }
        if (!result.problems().isEmpty()) {
            String why = String.join(
                    "; ", result.problems().stream().map(FleetProblem::toString).toList());
            LOG.error("fleet topic: refused {}; keeping the last valid spec", why);
            return Optional.of(why);
        }
        fromTopic.putAll(result.clusters());
        topicRecords.put(clusterId, value);
        publish(before);
        return Optional.empty();
    }

    /** The file changed: overrides apply over its new entries (an endpoint changed in the file is not masked). */
    private void reapplyOverrides() {
        if (topicSetsWholeClusters()) {
            return;
        }
        for (var record : List.copyOf(topicRecords.entrySet())) {
            ObjectNode entry = fileEntries.get(record.getKey());
            FleetParser.Result result = entry == null
                    ? null
                    : FleetParser.parseOverride(record.getValue(), record.getKey(), defaults, entry, topicKeys);
            if (result == null || !result.problems().isEmpty()) {
                LOG.error("fleet topic override of {} no longer applies to the file's entry; dropped", record.getKey());
                fromTopic.remove(record.getKey());
                topicRecords.remove(record.getKey());
            } else {
                fromTopic.putAll(result.clusters());
            }
        }
    }

    private FleetParser.Result readFile() {
        try {
            fileStamp = Files.getLastModifiedTime(file);
            return FleetParser.parseDocument(Files.readString(file));
        } catch (IOException e) {
            throw new FleetConfigException(
                    "guardian.fleet.file=" + file,
                    java.util.List.of(new FleetProblem("-", "guardian.fleet.file", "cannot read " + file + ": " + e)));
        }
    }

    private synchronized void apply(FleetParser.Result result, boolean startup) {
        Map<String, ClusterSpec> before = merged();
        Map<String, ClusterSpec> next = new LinkedHashMap<>(result.clusters());
        for (FleetProblem problem : result.problems()) {
            LOG.error("fleet file {}: {}; keeping its last valid spec", file, problem);
            ClusterSpec previous = fromFile.get(problem.clusterId());
            if (previous != null) {
                next.put(previous.id(), previous);
            }
        }
        fromFile = next;
        Map<String, ObjectNode> entries = new LinkedHashMap<>(fileEntries);
        entries.keySet().retainAll(next.keySet());
        entries.putAll(result.entries());
        fileEntries = entries;
        defaults = result.defaults();
        reapplyOverrides();
        if (!startup || !next.isEmpty()) {
            publish(before);
        }
    }

    private Map<String, ClusterSpec> merged() {
        Map<String, ClusterSpec> all = new HashMap<>(fromFile);
        all.putAll(fromTopic);
        return all;
    }

    private void publish(Map<String, ClusterSpec> before) {
        Map<String, ClusterSpec> after = merged();
        Set<String> changed = new HashSet<>();
        for (String id : after.keySet()) {
            if (!Objects.equals(before.get(id), after.get(id))) {
                changed.add(id);
            }
        }
        for (String id : before.keySet()) {
            if (!after.containsKey(id)) {
                changed.add(id);
            }
        }
        if (changed.isEmpty() && current.version() > 0) {
            return;
        }
        current = new Fleet(current.version() + 1, after);
        LOG.info("fleet version {}: {} clusters, changed {}", current.version(), after.size(), changed);
        events.publishEvent(new FleetChanged(current, Set.copyOf(changed)));
    }
}
