package io.etcdguardian.common.journal;

import java.time.Instant;
import java.util.List;

/** Every change etcd made at one revision (one write transaction), and when the writer received it. */
public record JournalRevision(long revision, Instant arrival, List<JournalEvent> events) {
    public JournalRevision {
        events = List.copyOf(events);
        if (events.isEmpty()) {
            throw new IllegalArgumentException("revision " + revision + " has no events");
        }
    }

    public long weight() {
        return events.stream().mapToLong(JournalEvent::weight).sum() + 24;
    }
}
