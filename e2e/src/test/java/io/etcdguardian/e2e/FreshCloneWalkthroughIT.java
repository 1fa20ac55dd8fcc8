package io.etcdguardian.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's first hour, on a fresh clone: `./guardian quickstart`, then every `./guardian`
 * command the README's quick start shows, in the README's order (`down` last) — and none of them
 * rebuilds, lets a service die or hangs. The commands are read from the README, so a command added
 * there is walked here.
 *
 * <p>The clone gets the jars this build made (copied after the clone, so they are newer than its
 * sources, as after the build its first quickstart runs) and this build's components (Kafka,
 * S3Proxy, etcd 3.6): the walk is about what runs after that build, not a second build.
 */
class FreshCloneWalkthroughIT {
    private static final List<String> JARS = List.of(
            "cli/target/guardianctl.jar",
            "cli-local/target/guardianctl-local.jar",
            "scheduler-service/target/scheduler-service.jar",
            "snapshot-service/target/snapshot-service.jar",
            "health-service/target/health-service.jar",
            "restore-service/target/restore-service.jar");
    private static final long COMMAND_TIMEOUT_MINUTES = 6;

    @TempDir
    Path dir;

    record Ran(String command, int exit, String output) {}

    @Test
    void theReadmesQuickStartOnAFreshCloneNeverRebuildsKillsAServiceOrHangs() throws Exception {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path clone = dir.resolve("etcd-guardian");
        assertThat(run(dir, "git", "clone", "-q", repo.toString(), clone.toString())
                        .exit())
                .isZero();
        for (String jar : JARS) {
            Files.createDirectories(clone.resolve(jar).getParent());
            Files.copy(repo.resolve(jar), clone.resolve(jar), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.createDirectories(clone.resolve("backplane-components/target"));
        Files.createSymbolicLink(
                clone.resolve("backplane-components/target/components"),
                repo.resolve("backplane-components/target/components").toRealPath());

        List<String> commands = quickStartCommands(Files.readString(clone.resolve("README.md")));
        assertThat(commands.get(0)).isEqualTo("./guardian quickstart");
        assertThat(commands)
                .contains(
                        "./guardian status local",
                        "./guardian verify local",
                        "./guardian restore local --yes",
                        "./guardian down");
        List<String> walk = new ArrayList<>(
                commands.stream().filter(c -> !c.equals("./guardian down")).toList());
        walk.add("./guardian down");

        Map<String, Integer> pids = new LinkedHashMap<>();
        List<Ran> ran = new ArrayList<>();
        try {
            for (String command : walk) {
                Ran r = run(clone, "bash", "-c", command);
                ran.add(r);
                System.out.println("$ " + command + "  # exit " + r.exit() + "\n" + r.output());
                assertThat(r.output())
                        .as(command + ": no rebuild after the quick start's build")
                        .doesNotContain("== building");
                assertThat(r.exit())
                        .as(command + " exits 0, or 1 for a status that is not OK yet / a plan it will not"
                                + " apply without a terminal; never 3 (no answer)")
                        .isIn(0, 1);
                if (command.equals("./guardian down")) {
                    break;
                }
                if (pids.isEmpty()) {
                    pids.putAll(servicePids(clone));
                    assertThat(pids)
                            .as("the quick start started the four services")
                            .hasSize(4);
                }
                pids.forEach((service, pid) -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive))
                        .as(service + " still runs after " + command)
                        .contains(true));
            }
        } finally {
            run(clone, "bash", "-c", "java -jar cli-local/target/guardianctl-local.jar local down");
        }
        assertThat(outputOf(ran, "./guardian quickstart")).contains("restore drill right after the capture: PASSED");
        assertThat(exitOf(ran, "./guardian status local", 0))
                .as("backed up and drilled right after: OK")
                .isZero();
        assertThat(exitOf(ran, "./guardian verify local", 0)).isZero();
        assertThat(exitOf(ran, "./guardian status local", 1)).as("drilled: OK").isZero();
        assertThat(exitOf(ran, "./guardian restore local --yes", 0)).isZero();
        assertThat(outputOf(ran, "./guardian restore local --yes")).contains("restore COMPLETED");
        if (ran.stream().anyMatch(r -> r.command().equals("./guardian restore local"))) {
            assertThat(outputOf(ran, "./guardian restore local"))
                    .as("asks, and without a terminal does nothing")
                    .contains("not a terminal: nothing was done");
        }
        pids.forEach((service, pid) -> assertThat(
                        ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as(service + " stopped by down")
                .isFalse());
    }

    /** `./guardian …` commands of the README before its first section (the quick start), in order, each once per occurrence. */
    static List<String> quickStartCommands(String readme) {
        String quickStart = readme.substring(0, readme.indexOf("\n## "));
        List<String> commands = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)`(\\./guardian[^`]*)`|^(\\./guardian[^#\\n]*)")
                .matcher(quickStart);
        while (m.find()) {
            commands.add((m.group(1) != null ? m.group(1) : m.group(2)).strip().replaceAll("\\s+", " "));
        }
        return commands;
    }

    private static int exitOf(List<Ran> ran, String command, int occurrence) {
        return ran.stream()
                .filter(r -> r.command().equals(command))
                .skip(occurrence)
                .findFirst()
                .orElseThrow()
                .exit();
    }

    private static String outputOf(List<Ran> ran, String command) {
        return ran.stream()
                .filter(r -> r.command().equals(command))
                .findFirst()
                .orElseThrow()
                .output();
    }

    private static Map<String, Integer> servicePids(Path clone) throws IOException {
        Map<String, Integer> pids = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(clone.resolve(".guardian-local/services"))) {
            for (Path pid :
                    files.filter(f -> f.toString().endsWith(".pid")).sorted().toList()) {
                pids.put(
                        pid.getFileName().toString().replace(".pid", ""),
                        Integer.parseInt(Files.readString(pid).strip()));
            }
        }
        return pids;
    }

    private Ran run(Path cwd, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(cwd.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // a fresh user's shell: nothing points guardianctl elsewhere, no config of theirs
        Stream.of(
                        "KAFKA_BOOTSTRAP_SERVERS",
                        "GUARDIAN_SNAPSHOT_URL",
                        "GUARDIAN_RESTORE_URL",
                        "GUARDIAN_FLEET_FILE",
                        "GUARDIAN_CONTEXT",
                        "GUARDIAN_LOCAL_STATE",
                        "GUARDIAN_HOME")
                .forEach(builder.environment()::remove);
        builder.environment()
                .put("GUARDIAN_CONFIG", dir.resolve("no-config.yaml").toString());
        Path log = Files.createTempFile(dir, "command", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        if (!process.waitFor(COMMAND_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " hung: no end within " + COMMAND_TIMEOUT_MINUTES
                    + " min\n" + Files.readString(log, StandardCharsets.UTF_8));
        }
        return new Ran(command[command.length - 1], process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
