package io.etcdguardian.common.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * Wraps event data in a CloudEvent 1.0 and back: {@code subject} and {@code partitionkey} are the
 * cluster id (the Kafka binding maps {@code partitionkey} to the record key), {@code id} is the
 * idempotency key.
 */
public final class EventEnvelope {
    public static final String PARTITION_KEY = "partitionkey";
    public static final String JSON_CONTENT_TYPE = "application/json";

    private EventEnvelope() {}

    /** A new event with a random id. */
    public static CloudEvent wrap(String source, GuardianEvent data) {
        return wrap(source, UUID.randomUUID().toString(), data);
    }

    public static CloudEvent wrap(String source, String id, GuardianEvent data) {
        EventCatalog.Entry entry = EventCatalog.of(data.getClass());
        Ids.id(id, "event id");
        EventLimits.check(data);
        try {
            return CloudEventBuilder.v1()
                    .withId(id)
                    .withSource(URI.create(source))
                    .withType(entry.type())
                    .withSubject(data.clusterId())
                    .withTime(OffsetDateTime.now(ZoneOffset.UTC))
                    .withDataContentType(JSON_CONTENT_TYPE)
                    .withExtension(PARTITION_KEY, data.clusterId())
                    .withData(EventJson.MAPPER.writeValueAsBytes(data))
                    .build();
        } catch (JsonProcessingException e) {
            throw new GuardianException(Reason.INTERNAL, "cannot serialise " + entry.type(), e);
        }
    }

    /**
     * A deterministic event id: a replay of the same operation after a crash republishes the same id,
     * so consumers do its work once.
     */
    public static String deterministicId(String operationId, String type) {
        return UUID.nameUUIDFromBytes((operationId + "|" + type).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    /** The event's data as its record, checked against the catalogue and the subject. */
    public static GuardianEvent data(CloudEvent event) {
        EventCatalog.Entry entry = EventCatalog.byType(event.getType())
                .orElseThrow(() -> new GuardianException(
                        Reason.UNKNOWN_EVENT_TYPE, "unknown event type '" + event.getType() + "'"));
        if (event.getData() == null) {
            throw new GuardianException(
                    Reason.INVALID_EVENT, entry.type() + " event " + event.getId() + " has no data");
        }
        String contentType = event.getDataContentType();
        if (contentType != null
                && !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            // the contract is JSON: data said to be something else is not read as if it were
            throw new GuardianException(
                    Reason.INVALID_EVENT,
                    entry.type() + " event " + event.getId() + " carries data of type '" + contentType
                            + "', not application/json");
        }
        GuardianEvent data;
        try {
            data = EventJson.MAPPER.readValue(event.getData().toBytes(), entry.dataClass());
            if (data == null) {
                throw new GuardianException(
                        Reason.INVALID_EVENT, "data of " + entry.type() + " event " + event.getId() + " is JSON null");
            }
        } catch (IOException e) {
            throw new GuardianException(
                    Reason.INVALID_EVENT,
                    "data of " + entry.type() + " event " + event.getId() + " does not match its schema: "
                            + rootMessage(e));
        }
        try {
            Ids.id(event.getId(), "event id");
            EventLimits.check(data);
        } catch (GuardianException e) {
            throw new GuardianException(Reason.INVALID_EVENT, entry.type() + " event refused: " + e.getMessage());
        }
        if (!data.clusterId().equals(event.getSubject())) {
            throw new GuardianException(
                    Reason.INVALID_EVENT,
                    "event " + event.getId() + " has subject '" + event.getSubject() + "' but data for cluster '"
                            + data.clusterId() + "'");
        }
        return data;
    }

    public static <T extends GuardianEvent> T data(CloudEvent event, Class<T> type) {
        GuardianEvent data = data(event);
        if (!type.isInstance(data)) {
            throw new GuardianException(
                    Reason.UNKNOWN_EVENT_TYPE,
                    "expected " + EventCatalog.of(type).type() + " but got " + event.getType());
        }
        return type.cast(data);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root instanceof JsonProcessingException j ? j.getOriginalMessage() : root.getMessage();
        return message == null
                ? root.getClass().getSimpleName()
                : message.lines().findFirst().orElse("");
    }
}
