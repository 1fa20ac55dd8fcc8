package io.etcdguardian.localetcd;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real etcd cluster of N members on loopback, each an `etcd` process. The layout (names, ports,
 * directories, and the directory of the etcd tools it runs — null: {@link EtcdBinaries}' default) is
 * plain data so that another JVM can find, stop and start the same processes with the same etcd.
 */
public record EtcdCluster(
        Path dir,
        String token,
        long quotaBackendBytes,
        EtcdTls tls,
        List<EtcdMember> members,
        Path binDir,
        List<String> extraFlags) {
    /** Where {@link #start} leaves the layout, for whoever manages these processes next (restore-service). */
    public static final String LAYOUT = "cluster.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static EtcdCluster plan(Path dir, int size, long quotaBackendBytes) {
        return plan(dir, size, quotaBackendBytes, null);
    }

    /** With {@code tls}, clients must use https and present a certificate signed by its CA. */
    public static EtcdCluster plan(Path dir, int size, long quotaBackendBytes, EtcdTls tls) {
        List<EtcdMember> members = IntStream.range(0, size)
                .mapToObj(i -> new EtcdMember(
                        "etcd-" + i,
                        FreePorts.next(),
                        FreePorts.next(),
                        FreePorts.next(),
                        tls != null,
                        dir.resolve("etcd-" + i).resolve("data")))
                .toList();
        return new EtcdCluster(
                dir,
                "guardian-" + UUID.randomUUID().toString().substring(0, 8),
                quotaBackendBytes,
                tls,
                members,
                null,
                null);
    }

    /** The cluster a {@link #start} in any JVM laid out under {@code dir}. */
    public static EtcdCluster load(Path dir) {
        Path layout = dir.resolve(LAYOUT);
        if (!Files.isRegularFile(layout)) {
            throw new IllegalArgumentException("no local etcd cluster under " + dir + " (" + LAYOUT + " is missing)");
        }
        try {
            return JSON.readValue(layout.toFile(), EtcdCluster.class);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + layout, e);
        }
    }

    /** The same members under a new cluster token (a restored cluster is a new cluster). */
    public EtcdCluster withToken(String newToken) {
        return new EtcdCluster(dir, newToken, quotaBackendBytes, tls, members, binDir, extraFlags);
    }

    /** The same cluster run with the etcd tools in {@code tools} (an etcd of another version). */
    public EtcdCluster withBinaries(Path tools) {
        return new EtcdCluster(dir, token, quotaBackendBytes, tls, members, tools, extraFlags);
    }

    /** The same cluster, its members started with {@code flags} too (a scratch member's {@code --unsafe-no-fsync}). */
    public EtcdCluster withFlags(List<String> flags) {
        return new EtcdCluster(dir, token, quotaBackendBytes, tls, members, binDir, List.copyOf(flags));
    }

    /** The etcd tools this cluster runs with. */
    @JsonIgnore
    public Path tools() {
        return binDir != null ? binDir : EtcdBinaries.etcd().getParent();
    }

    public void save() {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(LAYOUT + ".tmp");
            // with the tools resolved: another JVM (restore-service) must run this cluster with the same etcd
            JSON.writeValue(tmp.toFile(), binDir == null ? withBinaries(tools()) : this);
            Files.move(
                    tmp,
                    dir.resolve(LAYOUT),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts every member that is not running and waits until each reports itself healthy. */
    public EtcdCluster start() {
        save();
        for (int i = 0; i < members.size(); i++) {
            if (!process(i).isAlive()) {
                launch(i);
            }
        }
        for (int i = 0; i < members.size(); i++) {
            awaitHealthy(i);
        }
        return this;
    }

    /** Starts one member again with its existing data dir (after a stop or a kill). */
    public void startMember(int i) {
        if (process(i).isAlive()) {
            return;
        }
        // a launcher killed between starting the member and writing its PID file leaves it running unrecorded: a
        // second one on the same ports would fail to bind, so the one already serving this data dir is adopted
        Optional<ProcessHandle> unrecorded = servingDataDir(members.get(i).dataDir());
        if (unrecorded.isPresent()) {
            process(i).adopt(unrecorded.get());
            return;
        }
        launch(i);
    }

    /** A live etcd whose command line names {@code dataDir} as its data dir. */
    private static Optional<ProcessHandle> servingDataDir(Path dataDir) {
        String dir = dataDir.toString();
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info()
                        .arguments()
                        .map(args -> {
                            for (int a = 0; a + 1 < args.length; a++) {
                                if (args[a].equals("--data-dir") && args[a + 1].equals(dir)) {
                                    return true;
                                }
                            }
                            return false;
                        })
                        .orElse(false))
                .findFirst();
    }

    public void awaitHealthy(int i) {
        awaitHealth(i, "/health");
    }

    /** Healthy but for a raised {@code alarm} (NOSPACE: /health says false while it is raised; 3.5 and later). */
    public void awaitHealthyDespite(int i, String alarm) {
        awaitHealth(i, "/health?exclude=" + alarm);
    }

    private void awaitHealth(int i, String path) {
        EtcdMember member = members.get(i);
        Readiness.await(
                "etcd member " + member.name(),
                Duration.ofSeconds(30),
                process(i),
                () -> Readiness.httpAnswers(
                        URI.create(member.metricsUrl() + path),
                        r -> r.statusCode() == 200 && r.body().contains("\"true\"")));
    }

    public void stopMember(int i) {
        process(i).stop(Duration.ofSeconds(10));
    }

    public void killMember(int i) {
        process(i).kill();
    }

    /**
     * Sends a signal to a member's process: {@code STOP} stalls it the way a hung disk or a partition
     * does (it answers nothing, its connections stay open), {@code CONT} lets it go on.
     */
    public void signalMember(int i, String signal) {
        long pid = process(i)
                .pid()
                .orElseThrow(() -> new IllegalStateException(members.get(i).name() + " is not running"));
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .inheritIO()
                    .start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " exited " + kill.exitValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The member that leads now, as every member's status says (all members must answer). */
    public int leaderIndex() {
        JsonNode statuses = statuses();
        long leader = statuses.get(0).path("Status").path("leader").asLong();
        for (JsonNode s : statuses) {
            if (s.path("Status").path("header").path("member_id").asLong() == leader) {
                return endpoints().indexOf(s.path("Endpoint").asText());
            }
        }
        throw new IllegalStateException("no member leads: " + statuses);
    }

    /** Hands leadership to member {@code i}, as an operator's {@code etcdctl move-leader} does. */
    public void moveLeaderTo(int i) {
        for (JsonNode s : statuses()) {
            if (s.path("Endpoint").asText().equals(endpoints().get(i))) {
                etcdctl(
                        "move-leader",
                        Long.toHexString(s.path("Status")
                                .path("header")
                                .path("member_id")
                                .asLong()));
                return;
            }
        }
        throw new IllegalStateException("no status of " + endpoints().get(i));
    }

    private JsonNode statuses() {
        try {
            return JSON.readTree(etcdctl("endpoint", "status", "-w", "json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void stop() {
        for (int i = 0; i < members.size(); i++) {
            stopMember(i);
        }
    }

    public boolean isMemberAlive(int i) {
        return process(i).isAlive();
    }

    @JsonIgnore
    public List<String> endpoints() {
        return members.stream().map(EtcdMember::clientUrl).toList();
    }

    /** The `--initial-cluster` value: `etcd-0=http://…,etcd-1=http://…`. */
    @JsonIgnore
    public String initialCluster() {
        return members.stream().map(m -> m.name() + "=" + m.peerUrl()).collect(Collectors.joining(","));
    }

    public ChildProcess process(int i) {
        return new ChildProcess(
                members.get(i).name(), dir.resolve(members.get(i).name()));
    }

    /** Runs etcdctl against this cluster and returns its standard output; fails with its output otherwise. */
    public String etcdctl(String... args) {
        List<String> command = new ArrayList<>(
                List.of(tools().resolve("etcdctl").toString(), "--endpoints=" + String.join(",", endpoints())));
        if (tls != null) {
            command.addAll(List.of(
                    "--cacert",
                    tls.ca().toString(),
                    "--cert",
                    tls.clientCert().toString(),
                    "--key",
                    tls.clientKey().toString()));
        }
        command.addAll(List.of(args));
        return Etcdctl.run(command);
    }

    /**
     * Replaces every member's data dir with a restore of {@code snapshot} (members must be stopped):
     * `etcdutl snapshot restore` (`etcdctl` on 3.4) with this cluster's names, peer URLs and token, as
     * the seeds do.
     */
    public void restoreFrom(Path snapshot, List<String> extraFlags) {
        for (int i = 0; i < members.size(); i++) {
            restoreMember(i, snapshot, extraFlags);
        }
    }

    /** The command that restores member {@code i}'s data dir from {@code snapshot} (which must not exist yet). */
    public List<String> restoreCommand(int i, Path snapshot, List<String> extraFlags) {
        EtcdMember member = members.get(i);
        List<String> command = new ArrayList<>(List.of(
                EtcdBinaries.snapshotToolIn(tools()).toString(),
                "snapshot",
                "restore",
                snapshot.toString(),
                "--name",
                member.name(),
                "--data-dir",
                member.dataDir().toString(),
                "--initial-cluster",
                initialCluster(),
                "--initial-cluster-token",
                token,
                "--initial-advertise-peer-urls",
                member.peerUrl()));
        command.addAll(extraFlags);
        return command;
    }

    /** Replaces member {@code i}'s data dir (stopped) with a restore of {@code snapshot}. */
    public void restoreMember(int i, Path snapshot, List<String> extraFlags) {
        deleteRecursively(members.get(i).dataDir());
        Etcdctl.run(restoreCommand(i, snapshot, extraFlags));
    }

    /** Removes the data and logs of every member (stopped). */
    public void delete() {
        deleteRecursively(dir);
    }

    public static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (var walk = Files.walk(path)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void launch(int i) {
        EtcdMember member = members.get(i);
        try {
            Files.createDirectories(member.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of(
                tools().resolve("etcd").toString(),
                "--name",
                member.name(),
                "--data-dir",
                member.dataDir().toString(),
                "--listen-client-urls",
                member.clientUrl(),
                "--advertise-client-urls",
                member.clientUrl(),
                "--listen-peer-urls",
                member.peerUrl(),
                "--initial-advertise-peer-urls",
                member.peerUrl(),
                "--initial-cluster",
                initialCluster(),
                "--initial-cluster-token",
                token,
                "--initial-cluster-state",
                "new",
                "--listen-metrics-urls",
                member.metricsUrl(),
                "--logger",
                "zap",
                "--log-outputs",
                "stderr"));
        if (tls != null) {
            command.addAll(List.of(
                    "--cert-file",
                    tls.serverCert().toString(),
                    "--key-file",
                    tls.serverKey().toString(),
                    "--trusted-ca-file",
                    tls.ca().toString(),
                    "--client-cert-auth"));
        }
        if (quotaBackendBytes > 0) {
            command.add("--quota-backend-bytes");
            command.add(Long.toString(quotaBackendBytes));
        }
        if (extraFlags != null) {
            command.addAll(extraFlags);
        }
        process(i).start(command, member.dataDir().getParent());
    }
}
