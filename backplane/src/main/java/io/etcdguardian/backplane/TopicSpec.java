package io.etcdguardian.backplane;

/** A topic the backplane creates: name, partitions, and whether it keeps only the latest value per key. */
public record TopicSpec(String name, int partitions, boolean compacted) {}
