package io.etcdguardian.e2e;

import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.common.event.Topics;
import java.util.List;

/** Every topic of the event contract, as the backplane creates them for a whole-system test. */
final class SystemTopics {
    private SystemTopics() {}

    static List<TopicSpec> all() {
        return Topics.all().stream()
                .map(t -> new TopicSpec(
                        t.name(),
                        t.partitions(),
                        t.compacted(),
                        t.retention() == null ? 0 : t.retention().toMillis()))
                .toList();
    }
}
