package io.etcdguardian.cli.progress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.SnapshotProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final ByteArrayOutputStream terminal = new ByteArrayOutputStream();

    private ProgressDisplay display(ProgressDisplay.Mode mode) {
        return new ProgressDisplay(
                mode,
                "backup prod",
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                new PrintStream(terminal, true, StandardCharsets.UTF_8));
    }

    @Test
    void aBarOnATerminalMovesWithTheBytes() {
        try (ProgressDisplay bar = display(ProgressDisplay.Mode.BAR)) {
            bar.bytes(256L << 20, 1L << 30, "captured 512.0 MiB");
            bar.bytes(512L << 20, 1L << 30, "captured 1.0 GiB");
        }
        String drawn = terminal.toString(StandardCharsets.UTF_8);
        assertThat(drawn)
                .contains("backup prod")
                .contains("50%")
                .contains("512/1024 MiB")
                .contains("captured 1.0 GiB");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void elsewhereEachReportIsAPlainLine() {
        try (ProgressDisplay lines = display(ProgressDisplay.Mode.LINES)) {
            lines.bytes(512L << 20, 1L << 30, "captured 1.0 GiB, 100.0 MiB/s, ETA 6s");
            lines.step(2, 5, "ignored: steps are the command's own lines");
            lines.line("snapshot committed");
        }
        assertThat(err.toString())
                .isEqualTo("backup prod: 512.0 MiB of 1.0 GiB, captured 1.0 GiB, 100.0 MiB/s, ETA 6s"
                        + System.lineSeparator());
        assertThat(out.toString()).isEqualTo("snapshot committed" + System.lineSeparator());
        assertThat(terminal.size()).isZero();
    }

    @Test
    void withJsonEveryEventIsOneTypedLineAndNothingElse() throws Exception {
        try (ProgressDisplay json = display(ProgressDisplay.Mode.JSON)) {
            json.event(new SnapshotProgress("prod", "r-1", "s-1", 10, 5, 100, 50, 2L, Instant.EPOCH));
            json.bytes(5, 100, "not shown");
            json.line("not shown");
        }
        JsonNode line = EventJson.MAPPER.readTree(out.toString().strip());
        assertThat(line.path("type").asText()).isEqualTo(SnapshotProgress.TYPE);
        assertThat(line.path("data").path("bytesUploaded").asLong()).isEqualTo(5);
        assertThat(err.toString()).isEmpty();
        assertThat(terminal.size()).isZero();
    }
}
