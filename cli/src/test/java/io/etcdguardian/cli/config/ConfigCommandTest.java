package io.etcdguardian.cli.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.cli.GuardianCtl;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Contexts as an operator manages them, in a config file of this test's own; shell completion in real bash. */
class ConfigCommandTest {
    @TempDir
    Path dir;

    Path file;

    record Run(int exit, String out, String err) {}

    @BeforeEach
    void useOwnConfig() {
        file = dir.resolve("guardian").resolve("config.yaml");
        System.setProperty("guardian.config", file.toString());
    }

    @AfterEach
    void forget() {
        System.clearProperty("guardian.config");
    }

    private static Run ctl(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cmd = GuardianCtl.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void contextsAreCreatedSwitchedChangedAndDeleted() throws Exception {
        Path secrets = Files.writeString(
                dir.resolve("prod-kafka.properties"),
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"ctl\" password=\"s3cret\";\n");
        assertThat(ctl("config", "current-context").exit()).as("no config yet").isOne();
        assertThat(ctl(
                                "config",
                                "set-context",
                                "prod",
                                "--bootstrap-servers",
                                "kafka.prod:9093",
                                "--kafka-property",
                                "security.protocol=SASL_SSL",
                                "--kafka-property",
                                "sasl.mechanism=SCRAM-SHA-512",
                                "--kafka-properties-file",
                                secrets.toString(),
                                "--snapshot-url",
                                "https://snapshot.prod")
                        .out())
                .isEqualTo("context \"prod\" created (current)\n");
        assertThat(ctl("config", "set-context", "lab", "--bootstrap-servers", "127.0.0.1:9092")
                        .exit())
                .isZero();
        Run listed = ctl("config", "get-contexts");
        assertThat(listed.out().lines().toList())
                .containsExactly(
                        "CURRENT NAME                 KAFKA                            SNAPSHOT-SERVICE",
                        "*       prod                 kafka.prod:9093                  https://snapshot.prod",
                        "        lab                  127.0.0.1:9092                   -");
        assertThat(ctl("config", "use-context", "lab").exit()).isZero();
        assertThat(ctl("config", "current-context").out()).isEqualTo("lab\n");
        assertThat(ctl("config", "set-context", "prod", "--restore-url", "https://restore.prod")
                        .out())
                .isEqualTo("context \"prod\" modified\n");

        GuardianConfig config = GuardianConfig.load(file);
        GuardianConfig.Context prod = config.context("prod").orElseThrow();
        assertThat(prod.snapshotUrl()).as("kept when another setting changed").isEqualTo("https://snapshot.prod");
        assertThat(prod.restoreUrl()).isEqualTo("https://restore.prod");
        assertThat(prod.kafka().clientProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsKey("sasl.jaas.config");
        assertThat(Files.readString(file))
                .as("the secret stays in its own file")
                .doesNotContain("s3cret")
                .contains("propertiesFile: " + secrets);
        assertThat(ctl("config", "view").out()).contains("currentContext: lab").doesNotContain("s3cret");

        Run refused = ctl("config", "set-context", "prod", "--kafka-property", "ssl.keystore.password=x");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("[ssl.keystore.password] would put a secret into");
        assertThat(Files.readString(file)).doesNotContain("ssl.keystore.password");

        // --context picks one for a single command; a context whose services are not there is "no answer", exit 3
        Run elsewhere = ctl("--context", "prod", "snapshots", "list", "c1");
        assertThat(elsewhere.exit()).isEqualTo(3);
        assertThat(elsewhere.err()).contains("https://snapshot.prod/");
        Run unknown = ctl("--context", "nowhere", "snapshots", "list", "c1");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("no context 'nowhere'");

        assertThat(ctl("config", "delete-context", "lab").exit()).isZero();
        assertThat(GuardianConfig.load(file).currentContext()).isNull();
        assertThat(GuardianConfig.load(file).contexts())
                .extracting(GuardianConfig.Context::name)
                .containsExactly("prod");
    }

    @Test
    void aBrokenConfigIsNamedWithItsProblem() throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "currentContext: prod\ncontexts:\n  - name: prod\n    kafkaa: {}\n");
        Run run = ctl("config", "get-contexts");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains(file.toString()).contains("kafkaa");
    }

    @Test
    void bashCompletesCommandsSubcommandsAndOptions() throws Exception {
        Path script = dir.resolve("guardianctl.bash");
        Run generated = ctl("generate-completion");
        assertThat(generated.exit()).isZero();
        Files.writeString(script, generated.out());
        Map<String, String> cases = Map.of(
                "guardianctl ba", "backup",
                "guardianctl config use-", "use-context",
                "guardianctl restore local --dry", "--dry-run",
                "guardianctl backup local --ti", "--timeout");
        for (var c : cases.entrySet()) {
            String line = c.getKey();
            Process bash = new ProcessBuilder(
                            "bash",
                            "-c",
                            "source " + script + " 2>/dev/null; read -ra COMP_WORDS <<< \"$1\";"
                                    + " COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE=\"$1\"; COMP_POINT=${#COMP_LINE};"
                                    + " _complete_guardianctl 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"",
                            "complete",
                            line)
                    .redirectErrorStream(true)
                    .start();
            String replies = new String(bash.getInputStream().readAllBytes());
            assertThat(bash.waitFor()).isZero();
            assertThat(replies.lines().toList()).as(line).contains(c.getValue());
        }
    }
}
