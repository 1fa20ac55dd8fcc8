package io.etcdguardian.common.event;

import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * Bounds every event, in and out: the cluster id is a cluster id, every other {@code …Id} field a
 * valid id ({@link Ids}), and free text is bounded — a reason or a name in 1 KiB, a detail (which may
 * list the commands left to an operator) in 16 KiB. An event outside the bounds is refused whole,
 * naming the field, so it is dead-lettered rather than carried into logs, paths or other events.
 */
public final class EventLimits {
    public static final int SHORT_TEXT = 1024;
    public static final int LONG_TEXT = 16 * 1024;
    private static final Set<String> LONG_FIELDS = Set.of("detail", "description", "touches");

    private EventLimits() {}

    public static <T extends GuardianEvent> T check(T event) {
        if (event instanceof Record record) {
            checkRecord(record, "");
        }
        return event;
    }

    private static void checkRecord(Record record, String path) {
        for (RecordComponent component : record.getClass().getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(record);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            checkValue(component.getName(), path + component.getName(), value);
        }
    }

    private static void checkValue(String name, String field, Object value) {
        if (value == null) {
            return;
        }
        if (value instanceof String text) {
            checkText(name, field, text);
        } else if (value instanceof Record nested) {
            checkRecord(nested, field + ".");
        } else if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                checkValue(name, field + "[" + i++ + "]", item);
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                checkValue(name, field + ".key", k);
                checkValue(name, field + "[" + k + "]", v);
            });
        }
    }

    private static void checkText(String name, String field, String text) {
        if (name.equals("clusterId")) {
            Ids.cluster(text, field);
        } else if (name.endsWith("Id") && !name.endsWith("KeyId") && !name.equals("keyId")) {
            Ids.id(text, field);
        } else {
            int limit = LONG_FIELDS.contains(name) ? LONG_TEXT : SHORT_TEXT;
            if (text.length() > limit) {
                throw new GuardianException(
                        Reason.INVALID_EVENT,
                        "field '" + field + "' holds " + text.length() + " characters, more than " + limit);
            }
        }
    }
}
