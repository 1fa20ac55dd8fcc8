package io.etcdguardian.backplane;

/**
 * A topic the backplane creates: name, partitions, whether it keeps only the latest value per key,
 * and (retentionMs &gt; 0) how long a compacted key lives at all.
 */
public record TopicSpec(String name, int partitions, boolean compacted, long retentionMs) {
    public TopicSpec(String name, int partitions, boolean compacted) {
        this(name, partitions, compacted, 0);
    }

    /** Every topic of the event contract ({@link io.etcdguardian.common.event.Topics}), as the broker creates it. */
    public static java.util.List<TopicSpec> ofContract() {
        return io.etcdguardian.common.event.Topics.all().stream()
                .map(t -> new TopicSpec(
                        t.name(),
                        t.partitions(),
                        t.compacted(),
                        t.retention() == null ? 0 : t.retention().toMillis()))
                .toList();
    }
}
