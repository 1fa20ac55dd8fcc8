package io.etcdguardian.common.kafka;

import io.cloudevents.CloudEvent;
import io.etcdguardian.common.event.GuardianEvent;

/** An event taken from Kafka: its envelope, its typed data, where it was read and the record's time (epoch ms). */
public record InboundEvent(
        CloudEvent envelope, GuardianEvent data, String topic, int partition, long offset, long timestamp) {
    public String id() {
        return envelope.getId();
    }

    public String clusterId() {
        return data.clusterId();
    }

    public <T extends GuardianEvent> T dataAs(Class<T> type) {
        return type.cast(data);
    }
}
