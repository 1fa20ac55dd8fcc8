package io.etcdguardian.common.event;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Every event type: its versioned CloudEvents type, its data record and the topic it travels on. */
public final class EventCatalog {

    /** One event type. */
    public record Entry(String type, Class<? extends GuardianEvent> dataClass, String topic) {}

    private static final List<Entry> ENTRIES = List.of(
            new Entry(BackupRequested.TYPE, BackupRequested.class, Topics.BACKUP_REQUESTS),
            new Entry(BackupSkipped.TYPE, BackupSkipped.class, Topics.SCHEDULER_EVENTS),
            new Entry(SnapshotStarted.TYPE, SnapshotStarted.class, Topics.SNAPSHOT_EVENTS),
            new Entry(SnapshotProgress.TYPE, SnapshotProgress.class, Topics.SNAPSHOT_EVENTS),
            new Entry(SnapshotCompleted.TYPE, SnapshotCompleted.class, Topics.SNAPSHOT_EVENTS),
            new Entry(SnapshotFailed.TYPE, SnapshotFailed.class, Topics.SNAPSHOT_EVENTS),
            new Entry(SnapshotVerified.TYPE, SnapshotVerified.class, Topics.SNAPSHOT_EVENTS),
            new Entry(JournalSegmentCommitted.TYPE, JournalSegmentCommitted.class, Topics.SNAPSHOT_EVENTS),
            new Entry(JournalGapRecorded.TYPE, JournalGapRecorded.class, Topics.SNAPSHOT_EVENTS),
            new Entry(MaintenanceRequested.TYPE, MaintenanceRequested.class, Topics.MAINTENANCE_REQUESTS),
            new Entry(MaintenanceProgress.TYPE, MaintenanceProgress.class, Topics.HEALTH_EVENTS),
            new Entry(HealthChanged.TYPE, HealthChanged.class, Topics.HEALTH_EVENTS),
            new Entry(RestoreRequested.TYPE, RestoreRequested.class, Topics.RESTORE_REQUESTS),
            new Entry(RestorePlanned.TYPE, RestorePlanned.class, Topics.RESTORE_EVENTS),
            new Entry(RestoreProgress.TYPE, RestoreProgress.class, Topics.RESTORE_EVENTS));

    private static final Map<String, Entry> BY_TYPE =
            ENTRIES.stream().collect(Collectors.toUnmodifiableMap(Entry::type, Function.identity()));
    private static final Map<Class<?>, Entry> BY_CLASS =
            ENTRIES.stream().collect(Collectors.toUnmodifiableMap(Entry::dataClass, Function.identity()));

    private EventCatalog() {}

    public static Optional<Entry> byType(String type) {
        return Optional.ofNullable(BY_TYPE.get(type));
    }

    public static Entry of(Class<? extends GuardianEvent> dataClass) {
        Entry entry = BY_CLASS.get(dataClass);
        if (entry == null) {
            throw new IllegalArgumentException(dataClass.getName() + " is not in the event catalogue");
        }
        return entry;
    }

    public static List<Entry> all() {
        return ENTRIES;
    }
}
