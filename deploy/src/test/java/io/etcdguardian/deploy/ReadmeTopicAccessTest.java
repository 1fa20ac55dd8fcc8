package io.etcdguardian.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.TopicAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The README's table of who reads and writes each topic is the one the brokers enforce. */
class ReadmeTopicAccessTest {

    @Test
    void theSecuritySectionsTableIsTopicAccess() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
        int header = lines.indexOf("| topic | " + String.join(" | ", TopicAccess.USERS) + " |");
        assertThat(header)
                .as("the README's topic access table, with a column per user")
                .isPositive();
        Map<String, String> documented = new TreeMap<>();
        for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String[] cells = lines.get(i).split("\\|");
            String topic = cells[1].trim().replace("`", "");
            for (int u = 0; u < TopicAccess.USERS.size(); u++) {
                String cell = cells[u + 2].trim();
                if (!cell.equals("–")) {
                    documented.put(topic + " " + TopicAccess.USERS.get(u), cell);
                }
            }
        }
        Map<String, String> enforced = new TreeMap<>();
        for (TopicAccess.Grant grant : TopicAccess.topics()) {
            enforced.merge(
                    grant.topic() + " " + grant.user(),
                    grant.access() == TopicAccess.Access.READ ? "R" : "W",
                    (a, b) -> a.compareTo(b) < 0 ? a + b : b + a);
        }
        assertThat(documented).isEqualTo(enforced);
        List<String> rows = new ArrayList<>();
        for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            rows.add(lines.get(i).split("\\|")[1].trim().replace("`", ""));
        }
        assertThat(rows)
                .as("a row per topic")
                .containsExactlyElementsOf(
                        Topics.all().stream().map(Topics.Topic::name).toList());
    }
}
