package io.etcdguardian.cli.options;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.cli.GuardianCtl;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Identifiers typed on guardianctl's command line that could become a path, an S3 key or another
 * URL: every command refuses them at parse time (exit 2, the rule named), before any connection —
 * the --state here holds no backplane, so a command that got further would fail otherwise.
 */
class IdArgsTest {
    @TempDir
    static Path empty;

    static final List<String> HOSTILE = List.of(
            "../etc",
            "/abs/path",
            "a/../../b",
            "nul\0byte",
            "x".repeat(1000),
            "c; rm -rf /",
            "$(reboot)",
            "`id`",
            "UPPER",
            "-leading",
            "with space",
            "",
            "..",
            "ok/../x");

    static Stream<List<String>> commands() {
        List<List<String>> all = new ArrayList<>();
        for (String bad : HOSTILE) {
            all.add(List.of("backup", bad));
            all.add(List.of("defrag", bad));
            all.add(List.of("restore", bad, "--dry-run"));
            all.add(List.of("restore", "prod", "--snapshot", bad + "/x"));
            all.add(List.of("restore", "prod", "--resume", bad + "/x"));
            all.add(List.of("status", bad));
            all.add(List.of("snapshots", "list", bad));
            all.add(List.of("snapshots", "show", "prod", bad + "/x"));
            all.add(List.of("snapshots", "verify", bad, "latest"));
            all.add(List.of("events", "--cluster", bad));
            all.add(List.of("verify", bad + "/x"));
            all.add(List.of("verify", "prod/" + bad + "/x"));
        }
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("commands")
    void hostileIdsAreRefusedBeforeAnythingIsReached(List<String> args) {
        StringWriter err = new StringWriter();
        var cmd = GuardianCtl.commandLine();
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--state", empty.toString(), "--bootstrap-servers", "127.0.0.1:1"));
        int exit = cmd.execute(all.toArray(String[]::new));
        assertThat(exit).as(String.join(" ", args)).isEqualTo(2);
        // "-leading" is read as an option: picocli's own usage error, also exit 2
        assertThat(err.toString())
                .containsPattern("is not (a cluster id|an id)|Unknown option|Missing required")
                .doesNotContain("\0")
                .doesNotContain("x".repeat(100));
    }
}
