package io.etcdguardian.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every event type has a golden sample that today's records read and write back without losing a field. */
class GoldenEventsTest {

    static java.util.stream.Stream<EventCatalog.Entry> catalogue() {
        return EventCatalog.all().stream();
    }

    @ParameterizedTest
    @MethodSource("catalogue")
    void goldenSampleRoundTrips(EventCatalog.Entry entry) throws IOException {
        byte[] golden;
        try (InputStream in = getClass().getResourceAsStream("/events/" + entry.type() + ".json")) {
            assertThat(in).as("golden sample for " + entry.type()).isNotNull();
            golden = in.readAllBytes();
        }
        GuardianEvent data = EventJson.MAPPER.readValue(golden, entry.dataClass());
        CloudEvent event = EventEnvelope.wrap("/guardian/test", "id-1", data);
        assertThat(event.getType()).isEqualTo(entry.type());
        assertThat(event.getSubject()).isEqualTo(data.clusterId());
        assertThat(event.getExtension(EventEnvelope.PARTITION_KEY)).isEqualTo(data.clusterId());
        assertThat(EventEnvelope.data(event)).isEqualTo(data);

        JsonNode original = EventJson.MAPPER.readTree(golden);
        JsonNode written = EventJson.MAPPER.readTree(event.getData().toBytes());
        original.fieldNames().forEachRemaining(field -> {
            if (!field.equals("addedLater")) {
                assertThat(written.get(field)).as(entry.type() + "." + field).isEqualTo(original.get(field));
            }
        });
    }

    @ParameterizedTest
    @MethodSource("catalogue")
    void aSubjectThatDisagreesWithTheDataIsRejected(EventCatalog.Entry entry) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/events/" + entry.type() + ".json")) {
            GuardianEvent data = EventJson.MAPPER.readValue(in, entry.dataClass());
            CloudEvent event = io.cloudevents.core.builder.CloudEventBuilder.v1(EventEnvelope.wrap("/t", data))
                    .withSubject("someone-else")
                    .build();
            assertThatThrownBy(() -> EventEnvelope.data(event))
                    .isInstanceOf(GuardianException.class)
                    .hasMessageContaining("subject 'someone-else'");
        }
    }

    @org.junit.jupiter.api.Test
    void deterministicIdsRepeatForTheSameOperation() {
        assertThat(EventEnvelope.deterministicId("op-1", SnapshotCompleted.TYPE))
                .isEqualTo(EventEnvelope.deterministicId("op-1", SnapshotCompleted.TYPE))
                .isNotEqualTo(EventEnvelope.deterministicId("op-1", SnapshotFailed.TYPE));
    }
}
