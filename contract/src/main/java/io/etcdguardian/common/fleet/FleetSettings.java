package io.etcdguardian.common.fleet;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.util.List;
import java.util.Set;

/**
 * {@code guardian.fleet.*}: where the fleet comes from. {@code file} is the fleet file (none: the fleet
 * topic alone); {@code topic.allowed-keys} are the top-level keys of a cluster that records of the
 * fleet topic may change ({@code *}: whole clusters, for fleets managed through the topic alone).
 */
@ConfigurationProperties("guardian.fleet")
public record FleetSettings(@Nullable String file, @Nullable Topic topic) {
    /** What an override from the topic may change unless told otherwise: what an operator pauses or tunes. */
    public static final List<String> DEFAULT_TOPIC_KEYS = List.of("paused", "schedule", "retention", "slo");

    private static final Set<String> CLUSTER_KEYS = Set.of(
            "*", "paused", "schedule", "retention", "slo", "etcd", "store", "kubernetes", "restore", "storageDomain");

    @ConfigurationProperties("topic")
    public record Topic(@Nullable List<String> allowedKeys) {
        public Topic {
            if (allowedKeys != null) {
                for (String key : allowedKeys) {
                    if (!CLUSTER_KEYS.contains(key)) {
                        throw new IllegalArgumentException("guardian.fleet.topic.allowed-keys: '" + key
                                + "' is not a key of a cluster (one of " + new java.util.TreeSet<>(CLUSTER_KEYS) + ")");
                    }
                }
            }
        }
    }

    public List<String> topicKeys() {
        return topic == null || topic.allowedKeys() == null ? DEFAULT_TOPIC_KEYS : topic.allowedKeys();
    }
}
