package io.etcdguardian.e2e;

import io.etcdguardian.common.event.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Searches what a run left behind — log lines, every record of every topic (values and headers:
 * events, dead letters, the operation journal, leases), stored objects — for the secret values the
 * run used. A hit names where it was, never the secret.
 */
final class SecretScan {
    private final List<String> secrets;
    private final List<String> hits = new ArrayList<>();
    private long lines;
    private long records;
    private long objects;

    SecretScan(List<String> secrets) {
        this.secrets = secrets.stream()
                .filter(s -> s != null && s.length() >= 8)
                .distinct()
                .toList();
    }

    void lines(String where, List<String> text) {
        for (int i = 0; i < text.size(); i++) {
            lines++;
            check(where + ":" + (i + 1), text.get(i));
        }
    }

    void bytes(String where, byte[] content) {
        objects++;
        check(where, new String(content, StandardCharsets.ISO_8859_1));
    }

    /** Every record of every guardian topic, from the beginning. */
    void topics(String bootstrap) {
        topics(bootstrap, java.util.Map.of());
    }

    /** {@code client}: the security settings of a secured broker (an admin's). */
    void topics(String bootstrap, java.util.Map<String, String> client) {
        Properties props = new Properties();
        props.putAll(client);
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", "secret-scan-" + UUID.randomUUID());
        props.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(Topics.all().stream().map(t -> t.name()).toList());
            int idle = 0;
            while (idle < 6) { // until a few polls in a row bring nothing more
                var batch = consumer.poll(Duration.ofMillis(500));
                idle = batch.isEmpty() ? idle + 1 : 0;
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    records++;
                    String where = record.topic() + "-" + record.partition() + "@" + record.offset();
                    if (record.value() != null) {
                        check(where, new String(record.value(), StandardCharsets.UTF_8));
                    }
                    for (Header header : record.headers()) {
                        check(where + " header " + header.key(), new String(header.value(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
    }

    private void check(String where, String text) {
        for (int i = 0; i < secrets.size(); i++) {
            if (text.contains(secrets.get(i))) {
                hits.add("secret #" + i + " in " + where);
            }
        }
    }

    List<String> hits() {
        return hits;
    }

    String summary() {
        return "secrets scan: " + secrets.size() + " secret values searched in " + lines + " log lines, " + records
                + " Kafka records and " + objects + " stored objects: " + hits.size() + " hits " + hits;
    }
}
