package io.etcdguardian.common.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a fleet document ({@code defaults:} and {@code clusters:}) or a single cluster (a value of
 * the fleet topic). Defaults are merged key by key under each cluster; unknown keys are errors, so
 * a typo cannot silently drop a setting. Every problem is collected, not just the first.
 */
public final class FleetParser {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .registerModule(new SimpleModule().addDeserializer(Duration.class, new Durations.Deserializer()));

    /**
     * What a parse produced: the valid clusters, the problems, the defaults for later single updates,
     * and each valid cluster's own entry as written (what a fleet-topic override is merged over).
     */
    public record Result(
            Map<String, ClusterSpec> clusters,
            List<FleetProblem> problems,
            ObjectNode defaults,
            Map<String, ObjectNode> entries) {
        Result(Map<String, ClusterSpec> clusters, List<FleetProblem> problems, ObjectNode defaults) {
            this(clusters, problems, defaults, Map.of());
        }
    }

    private FleetParser() {}

    public static Result parseDocument(String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            return new Result(
                    Map.of(),
                    List.of(new FleetProblem("-", "(document)", "not valid YAML: " + e.getOriginalMessage())),
                    YAML.createObjectNode());
        }
        List<FleetProblem> problems = new ArrayList<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Result(Map.of(), List.of(), YAML.createObjectNode());
        }
        if (!root.isObject()) {
            return new Result(
                    Map.of(),
                    List.of(new FleetProblem("-", "(document)", "expected a mapping with 'clusters'")),
                    YAML.createObjectNode());
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!key.equals("defaults") && !key.equals("clusters")) {
                problems.add(new FleetProblem("-", key, "unknown key (expected 'defaults' or 'clusters')"));
            }
        }
        ObjectNode defaults =
                root.path("defaults").isObject() ? (ObjectNode) root.get("defaults") : YAML.createObjectNode();
        JsonNode clusters = root.path("clusters");
        Map<String, ClusterSpec> valid = new LinkedHashMap<>();
        Map<String, ObjectNode> entries = new LinkedHashMap<>();
        if (!clusters.isMissingNode() && !clusters.isArray()) {
            problems.add(new FleetProblem("-", "clusters", "expected a list"));
        } else {
            int index = 0;
            for (JsonNode node : clusters) {
                String id = node.path("id").asText("#" + index);
                if (!node.isObject()) {
                    // a list entry that is a number or a string would otherwise crash the reload
                    problems.add(new FleetProblem(
                            "#" + index,
                            "clusters[" + index + "]",
                            "expected a cluster (a map"
                                    + " with id, etcd, store, …), not "
                                    + node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
                } else if (valid.containsKey(id)) {
                    problems.add(new FleetProblem(id, "id", "duplicate cluster id"));
                } else {
                    parseOne(node, defaults, id, valid, problems);
                    if (valid.containsKey(id)) {
                        entries.put(id, (ObjectNode) node);
                    }
                }
                index++;
            }
        }
        for (FleetProblem domain : FleetValidator.validateDomains(valid.values())) {
            problems.add(domain);
            valid.remove(domain.clusterId());
            entries.remove(domain.clusterId());
        }
        return new Result(valid, problems, defaults, entries);
    }

    /**
     * A fleet-topic override of a cluster the file defines: only {@code allowed} top-level keys (the
     * file is the authority on endpoints, stores, credentials, key stores and Kubernetes targets),
     * merged key by key over the file's own entry. A key outside the list is a problem, and nothing
     * of the record applies.
     */
    public static Result parseOverride(
            String text, String expectedId, ObjectNode defaults, ObjectNode fileEntry, java.util.Set<String> allowed) {
        List<FleetProblem> problems = new ArrayList<>();
        Map<String, ClusterSpec> valid = new LinkedHashMap<>();
        ObjectNode node = topicEntry(text, expectedId, false, problems);
        if (node != null) {
            node.fieldNames().forEachRemaining(key -> {
                if (!key.equals("id") && !allowed.contains(key)) {
                    problems.add(new FleetProblem(
                            expectedId,
                            key,
                            "changes only through the fleet file (the" + " fleet topic may change "
                                    + new java.util.TreeSet<>(allowed) + ")"));
                }
            });
            if (problems.isEmpty()) {
                ObjectNode merged = fileEntry.deepCopy();
                merge(merged, node);
                parseOne(merged, defaults, expectedId, valid, problems);
            }
        }
        return new Result(valid, problems, defaults);
    }

    /** One cluster as the fleet topic carries it, with the document's defaults merged in. */
    public static Result parseCluster(String text, String expectedId, ObjectNode defaults) {
        List<FleetProblem> problems = new ArrayList<>();
        Map<String, ClusterSpec> valid = new LinkedHashMap<>();
        ObjectNode node = topicEntry(text, expectedId, true, problems);
        if (node != null) {
            parseOne(node, defaults, expectedId, valid, problems);
        }
        return new Result(valid, problems, defaults);
    }

    /**
     * A fleet-topic record's value as a mapping for {@code expectedId} (its {@code id}, when {@code
     * idRequired} or present, must be the record key); null, with the problem added, when it is not one.
     */
    private static ObjectNode topicEntry(
            String text, String expectedId, boolean idRequired, List<FleetProblem> problems) {
        try {
            JsonNode node = YAML.readTree(text);
            if (node == null || !node.isObject()) {
                problems.add(new FleetProblem(expectedId, "(value)", "expected a mapping"));
                return null;
            }
            if ((idRequired || node.has("id"))
                    && !expectedId.equals(node.path("id").asText())) {
                problems.add(new FleetProblem(expectedId, "id", "differs from the record key"));
                return null;
            }
            return (ObjectNode) node;
        } catch (JsonProcessingException e) {
            problems.add(new FleetProblem(expectedId, "(value)", "not valid YAML/JSON: " + e.getOriginalMessage()));
            return null;
        }
    }

    private static void parseOne(
            JsonNode node,
            ObjectNode defaults,
            String id,
            Map<String, ClusterSpec> valid,
            List<FleetProblem> problems) {
        ObjectNode merged = defaults.deepCopy();
        merge(merged, (ObjectNode) node);
        ClusterSpec spec;
        try {
            spec = YAML.treeToValue(merged, ClusterSpec.class);
        } catch (UnrecognizedPropertyException e) {
            problems.add(new FleetProblem(id, path(e), "unknown key"));
            return;
        } catch (JsonMappingException e) {
            problems.add(new FleetProblem(id, path(e), firstLine(e.getOriginalMessage())));
            return;
        } catch (JsonProcessingException | IllegalArgumentException e) {
            problems.add(new FleetProblem(id, "(cluster)", firstLine(e.getMessage())));
            return;
        }
        List<FleetProblem> own = FleetValidator.validate(spec);
        if (own.isEmpty()) {
            valid.put(spec.id(), spec);
        } else {
            problems.addAll(own);
        }
    }

    /** Cluster values win; nested mappings merge key by key. */
    private static void merge(ObjectNode into, ObjectNode from) {
        from.properties().forEach(e -> {
            JsonNode existing = into.get(e.getKey());
            if (existing instanceof ObjectNode target && e.getValue() instanceof ObjectNode source) {
                merge(target, source);
            } else {
                into.set(e.getKey(), e.getValue());
            }
        });
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
    }

    private static String firstLine(String message) {
        return message == null ? "invalid value" : message.lines().findFirst().orElse("invalid value");
    }
}
