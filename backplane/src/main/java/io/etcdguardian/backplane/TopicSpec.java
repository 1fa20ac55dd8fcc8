package io.etcdguardian.backplane;

/**
 * A topic the backplane creates: name, partitions, whether it keeps only the latest value per key,
 * and (retentionMs &gt; 0) how long a compacted key lives at all.
 */
public record TopicSpec(String name, int partitions, boolean compacted, long retentionMs) {
    public TopicSpec(String name, int partitions, boolean compacted) {
        this(name, partitions, compacted, 0);
    }
}
