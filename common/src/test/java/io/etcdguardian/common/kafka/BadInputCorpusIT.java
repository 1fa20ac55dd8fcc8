package io.etcdguardian.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.event.Trigger;
import io.etcdguardian.common.fleet.FleetParser;
import io.micronaut.context.ApplicationContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bad-input corpus: malformed Kafka records, written past our publisher by a raw producer into
 * the request topic a real listener consumes (through {@link EventIntake}, as every service's
 * listeners do), interleaved with good ones; and malformed fleet documents. Each input must get a
 * clear outcome — a dead-letter record naming its reason, or its work done exactly once — the good
 * records must keep flowing, and nothing may crash the consumer or the parser.
 */
@ExtendWith(BackplaneExtension.class)
class BadInputCorpusIT {
    private final String cluster = "corpus-" + UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, String> caseOfId = new HashMap<>();

    @Test
    void everyMalformedRecordAndFleetGetsAClearOutcomeAndGoodRecordsKeepFlowing(Backplane backplane) throws Exception {
        String bootstrap = backplane.kafka().bootstrapServers();
        String group = "corpus-" + UUID.randomUUID();
        Map<String, byte[]> bad = records();
        Map<Long, String> sentAt = new HashMap<>();
        List<String> goodIds = new ArrayList<>();
        try (ApplicationContext context = ApplicationContext.run(Map.of(
                        "spec.name",
                        "EventIntakeIT",
                        "micronaut.application.name",
                        "corpus-test",
                        "kafka.bootstrap.servers",
                        bootstrap,
                        "test.group",
                        group,
                        "guardian.intake.initial-backoff",
                        "50ms"));
                KafkaProducer<String, byte[]> raw = rawProducer(bootstrap)) {
            RecordingListener listener = context.getBean(RecordingListener.class);
            int n = 0;
            for (var input : bad.entrySet()) {
                ProducerRecord<String, byte[]> record = input.getKey().startsWith("binary:")
                        ? binary(input.getKey(), input.getValue())
                        : new ProducerRecord<>(Topics.BACKUP_REQUESTS, cluster, input.getValue());
                if (input.getKey().startsWith("structured")) {
                    record.headers()
                            .add("content-type", "application/cloudevents+json".getBytes(StandardCharsets.UTF_8));
                }
                sentAt.put(raw.send(record).get().offset(), input.getKey());
                if (n++ % 5 == 0) { // good records between the bad: they must keep flowing
                    String id = UUID.randomUUID().toString();
                    goodIds.add(id);
                    raw.send(KafkaMessageFactory.createWriter(Topics.BACKUP_REQUESTS, cluster)
                                    .writeBinary(event(id, request("good"), cluster)))
                            .get();
                }
            }
            // the same request three times: its work is done once
            String duplicate = UUID.randomUUID().toString();
            for (int i = 0; i < 3; i++) {
                raw.send(KafkaMessageFactory.createWriter(Topics.BACKUP_REQUESTS, cluster)
                                .writeBinary(event(duplicate, request("duplicate"), cluster)))
                        .get();
            }
            // from the far future and the far past: handled like any other (a snapshot answers them, or not)
            for (Instant when : List.of(Instant.parse("2199-01-01T00:00:00Z"), Instant.parse("1970-01-01T00:00:01Z"))) {
                String id = UUID.randomUUID().toString();
                goodIds.add(id);
                raw.send(KafkaMessageFactory.createWriter(Topics.BACKUP_REQUESTS, cluster)
                                .writeBinary(event(
                                        id,
                                        new BackupRequested(cluster, Trigger.ON_DEMAND, "clock", "test", null, when),
                                        cluster)))
                        .get();
            }
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> listener.handled.stream()
                                    .filter(e -> e.clusterId().equals(cluster))
                                    .count()
                            >= goodIds.size() + 1);
            List<String> handled = listener.handled.stream()
                    .filter(e -> e.clusterId().equals(cluster))
                    .map(InboundEvent::id)
                    .toList();
            assertThat(handled.stream()
                            .filter(caseOfId::containsKey)
                            .map(caseOfId::get)
                            .toList())
                    .as("bad records whose work was done")
                    .isEmpty();
            assertThat(handled)
                    .as("good records kept flowing, the duplicate once")
                    .containsExactlyInAnyOrderElementsOf(concat(goodIds, duplicate));

            Map<String, String> outcome = new LinkedHashMap<>();
            for (ConsumerRecord<String, byte[]> dead : deadLetters(bootstrap, group, bad.size())) {
                String input = sentAt.get(Long.parseLong(header(dead, "guardian.dlq.offset")));
                if (input != null) {
                    outcome.put(
                            input,
                            (header(dead, "guardian.dlq.reason") + ": " + header(dead, "guardian.dlq.message"))
                                    .replaceAll("\\s*\\n\\s*", " "));
                }
            }
            StringBuilder table = new StringBuilder();
            bad.keySet()
                    .forEach(k -> table.append(String.format("  %-52s %s%n", k, outcome.getOrDefault(k, "NO OUTCOME"))
                            .replace('\u0000', '?')));
            List<String> fleetProblems = fleetDocuments();
            int inputs = bad.size() + 3 + 2 + fleetProblems.size();
            long clear = outcome.values().stream()
                            .filter(o -> o.matches("(INVALID_EVENT|UNKNOWN_EVENT_TYPE): (?!Cannot invoke).{10,}"))
                            .count()
                    + 3
                    + 2
                    + fleetProblems.stream().filter(p -> !p.isBlank()).count();
            System.out.println("bad-input corpus\n" + table + "  fleet documents: " + fleetProblems.size()
                    + " refused, each naming its key\n" + inputs + " inputs, " + clear + " handled, 0 crashes");
            assertThat(outcome)
                    .as(table.toString())
                    .hasSize(bad.size())
                    .allSatisfy((input, result) ->
                            assertThat(result).matches("(INVALID_EVENT|UNKNOWN_EVENT_TYPE): (?!Cannot invoke).{10,}"));
            assertThat(clear).isEqualTo(inputs);
            assertThat(inputs).isGreaterThanOrEqualTo(50);
        }
    }

    /** Records no producer of ours writes; the key names the case ("binary:" ones carry CloudEvent headers). */
    private Map<String, byte[]> records() throws Exception {
        Map<String, byte[]> bad = new LinkedHashMap<>();
        String good = EventJson.MAPPER.writeValueAsString(request("x"));
        bad.put("not a CloudEvent: plain text", "backup please".getBytes(StandardCharsets.UTF_8));
        bad.put("not a CloudEvent: empty", new byte[0]);
        bad.put("not a CloudEvent: JSON without attributes", good.getBytes(StandardCharsets.UTF_8));
        bad.put(
                "structured, spec version 0.1",
                ("{\"specversion\":\"0.1\",\"id\":\"a\",\"source\":\"/x\",\"type\":\"" + BackupRequested.TYPE
                                + "\",\"data\":" + good + "}")
                        .getBytes(StandardCharsets.UTF_8));
        bad.put("binary:spec version 2.0", good.getBytes(StandardCharsets.UTF_8));
        bad.put("binary:unknown type", good.getBytes(StandardCharsets.UTF_8));
        bad.put("binary:no id", good.getBytes(StandardCharsets.UTF_8));
        bad.put("binary:no source", good.getBytes(StandardCharsets.UTF_8));
        bad.put("binary:time is not a time", good.getBytes(StandardCharsets.UTF_8));
        bad.put("binary:data not JSON", "trigger=ON_DEMAND".getBytes(StandardCharsets.UTF_8));
        bad.put("binary:data is a JSON array", "[1,2,3]".getBytes(StandardCharsets.UTF_8));
        bad.put("binary:data is null", "null".getBytes(StandardCharsets.UTF_8));
        bad.put("binary:data is {}", "{}".getBytes(StandardCharsets.UTF_8));
        bad.put(
                "binary:data lacks the trigger",
                good.replaceAll(",?\"trigger\":\"[A-Z_]+\"", "").getBytes(StandardCharsets.UTF_8));
        bad.put("binary:unknown trigger", good.replace("ON_DEMAND", "WEEKLY").getBytes(StandardCharsets.UTF_8));
        bad.put(
                "binary:requestedAt is not a time",
                good.replaceAll("\"requestedAt\":\"[^\"]+\"", "\"requestedAt\":\"tomorrow\"")
                        .getBytes(StandardCharsets.UTF_8));
        bad.put(
                "binary:record key differs from clusterId",
                good.replace(cluster, "someone-else").getBytes(StandardCharsets.UTF_8));
        bad.put(
                "binary:reason of 900 KiB",
                good.replace("\"x\"", "\"" + "r".repeat(900 * 1024) + "\"").getBytes(StandardCharsets.UTF_8));
        bad.put(
                "binary:JSON nested 5000 deep",
                good.replace("\"x\"", "\"x\",\"extra\":" + "[".repeat(5000) + "]".repeat(5000))
                        .getBytes(StandardCharsets.UTF_8));
        byte[] invalidUtf8 = good.replace("\"x\"", "\"\u0001\u0002\"").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < invalidUtf8.length; i++) {
            if (invalidUtf8[i] == 1) {
                invalidUtf8[i] = (byte) 0xC3;
                invalidUtf8[i + 1] = (byte) 0x28; // an invalid two-byte sequence
            }
        }
        bad.put("binary:invalid UTF-8", invalidUtf8);
        for (String id : List.of(
                "../../etc/passwd", "/absolute", "a/b", "nul\u0000id", "x".repeat(300), "$(rm -rf /)", "back\\slash")) {
            bad.put(
                    "binary:id " + (id.length() > 40 ? id.length() + " characters" : id),
                    good.getBytes(StandardCharsets.UTF_8));
        }
        bad.put(
                "binary:clusterId with a path",
                good.replace(cluster, "../" + cluster).getBytes(StandardCharsets.UTF_8));
        bad.put(
                "binary:requestedBy of 10000 characters",
                good.replace("\"test\"", "\"" + "u".repeat(10_000) + "\"").getBytes(StandardCharsets.UTF_8));
        bad.put("binary:content type text/plain", good.getBytes(StandardCharsets.UTF_8));
        return bad;
    }

    /** A CloudEvent in binary mode, broken the way its case name says. */
    private ProducerRecord<String, byte[]> binary(String name, byte[] data) {
        String id =
                name.startsWith("binary:id ") ? idOf(name) : UUID.randomUUID().toString();
        caseOfId.put(id, name);
        CloudEventBuilder builder = CloudEventBuilder.v1()
                .withId(id.isEmpty() ? "x" : id)
                .withSource(URI.create("/forger"))
                .withType(BackupRequested.TYPE)
                .withSubject(cluster)
                .withDataContentType("application/json")
                .withData(data);
        if (name.endsWith("unknown type")) {
            builder.withType("io.etcdguardian.backup.nope.v1");
        }
        if (name.endsWith("content type text/plain")) {
            builder.withDataContentType("text/plain");
        }
        ProducerRecord<String, byte[]> record = KafkaMessageFactory.createWriter(Topics.BACKUP_REQUESTS, cluster)
                .writeBinary(builder.build());
        List<Header> headers = new ArrayList<>();
        record.headers().forEach(headers::add);
        String drop = name.endsWith("no id") ? "ce_id" : name.endsWith("no source") ? "ce_source" : null;
        List<Header> kept = headers.stream()
                .filter(h -> !h.key().equals(drop)
                        && !(name.endsWith("spec version 2.0") && h.key().equals("ce_specversion")))
                .collect(java.util.stream.Collectors.toCollection(ArrayList::new));
        if (name.endsWith("spec version 2.0")) {
            kept.add(new RecordHeader("ce_specversion", "2.0".getBytes(StandardCharsets.UTF_8)));
        }
        if (name.endsWith("time is not a time")) {
            kept.add(new RecordHeader("ce_time", "yesterday".getBytes(StandardCharsets.UTF_8)));
        }
        return new ProducerRecord<>(Topics.BACKUP_REQUESTS, null, cluster, record.value(), kept);
    }

    private static String idOf(String name) {
        String id = name.substring("binary:id ".length());
        return id.endsWith(" characters") ? "x".repeat(Integer.parseInt(id.split(" ")[0])) : id;
    }

    /** Fleet documents that are not a fleet: each must come back as problems naming a key, never an exception. */
    private static List<String> fleetDocuments() {
        String cluster =
                "  - id: c1\n    etcd: { endpoints: [http://127.0.0.1:2379] }\n    store: { bucket: etcd-snaps }\n";
        StringBuilder laughs =
                new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'j'; c++) {
            laughs.append(c)
                    .append(": &")
                    .append(c)
                    .append(" [")
                    .append(("*" + (char) (c - 1) + ",").repeat(9))
                    .append("*")
                    .append((char) (c - 1))
                    .append("]\n");
        }
        List<String> documents = List.of(
                "clusters: [",
                "clusterz: []",
                "- just\n- a\n- list",
                "42",
                "clusters: 17",
                "clusters:\n  - 17",
                "clusters:\n" + cluster + "    surprise: true\n",
                "clusters:\n" + cluster.replace("http://127.0.0.1:2379", "htp:/nowhere"),
                "clusters:\n" + cluster
                        + "    etcd: { endpoints: [https://127.0.0.1:2379], tls: { ca: /no/ca.crt } }\n",
                "clusters:\n" + cluster + "    schedule: { cron: \"* * *\" }\n",
                "clusters:\n" + cluster + "    schedule: { cron: \"0 * * * *\", timezone: Nowhere/Atlantis }\n",
                "clusters:\n" + cluster + "    schedule: { window: { start: \"25:00\", end: \"03:00\" } }\n",
                "clusters:\n" + cluster + cluster,
                "clusters:\n" + cluster.replace("c1", "../c1"),
                laughs + "clusters: *j\n",
                "clusters:\n" + cluster + "    retention: { keepLast: -3 }\n",
                "clusters:\n" + cluster + "    paused: maybe\n",
                "clusters:\n  - id: " + "c".repeat(5_000_000) + "\n");
        List<String> problems = new ArrayList<>();
        for (String document : documents) {
            FleetParser.Result result = FleetParser.parseDocument(document);
            assertThat(result.problems())
                    .as(document.length() > 200 ? document.substring(0, 200) : document)
                    .isNotEmpty()
                    .allSatisfy(p -> assertThat(p.reason()).isNotBlank());
            problems.add(result.problems().get(0).toString());
        }
        return problems;
    }

    private static List<String> concat(List<String> ids, String one) {
        List<String> all = new ArrayList<>(ids);
        all.add(one);
        return all;
    }

    private CloudEvent event(String id, BackupRequested data, String subject) throws Exception {
        return CloudEventBuilder.v1()
                .withId(id)
                .withSource(URI.create("/corpus"))
                .withType(BackupRequested.TYPE)
                .withSubject(subject)
                .withDataContentType("application/json")
                .withData(EventJson.MAPPER.writeValueAsBytes(data))
                .build();
    }

    private BackupRequested request(String reason) {
        return new BackupRequested(
                cluster, Trigger.ON_DEMAND, reason, "test", null, Instant.parse("2026-11-23T00:00:00Z"));
    }

    private static KafkaProducer<String, byte[]> rawProducer(String bootstrap) {
        return RawRecords.producer(bootstrap);
    }

    /** The dead letters the test's consumer group wrote. */
    private static List<ConsumerRecord<String, byte[]>> deadLetters(String bootstrap, String group, int expected) {
        return RawRecords.read(
                bootstrap,
                Topics.DEAD_LETTER,
                r -> group.equals(header(r, "guardian.dlq.group")),
                expected,
                Duration.ofSeconds(60));
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return RawRecords.header(record, name);
    }
}
