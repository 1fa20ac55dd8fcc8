package io.etcdguardian.cli.snapshots;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.IdArgs;
import io.etcdguardian.cli.options.ServiceUrls;
import io.etcdguardian.cli.progress.Sizes;
import io.etcdguardian.cli.wait.Deadline;
import io.etcdguardian.cli.wait.NoAnswer;
import io.etcdguardian.cli.wait.TimeoutOption;
import io.etcdguardian.common.event.DrillResult;
import io.etcdguardian.common.event.EventJson;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The committed snapshots of a cluster (snapshot-service's catalogue), and drills that verify one. */
@Command(
        name = "snapshots",
        mixinStandardHelpOptions = true,
        description = "List, show and verify snapshots.",
        subcommands = {
            SnapshotsCommand.ListCommand.class,
            SnapshotsCommand.ShowCommand.class,
            SnapshotsCommand.VerifyCommand.class,
            SnapshotsCommand.GetCommand.class
        })
public final class SnapshotsCommand {

    /** Shared options. */
    static class Common {
        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Option(
                names = {"-o", "--output"},
                defaultValue = "text",
                description = "text or json.")
        String output;

        @Mixin
        ServiceUrls urls = new ServiceUrls();

        @Mixin
        BackplaneOption backplane = new BackplaneOption();

        URI base() {
            return urls.snapshotService(backplane.state());
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "A cluster's committed snapshots, newest first.")
    static final class ListCommand implements Callable<Integer> {
        @Parameters(index = "0", converter = IdArgs.Cluster.class, description = "Cluster id.")
        String cluster;

        @Mixin
        Common common = new Common();

        @Override
        public Integer call() throws Exception {
            String body = ServiceUrls.call("GET", common.base().resolve("/snapshots/" + cluster));
            PrintWriter out = common.out();
            if ("json".equals(common.output)) {
                out.println(body);
                return 0;
            }
            out.printf("%-28s %-20s %10s %8s %12s %s%n", "SNAPSHOT", "TAKEN", "REVISION", "KEYS", "SIZE", "DRILL");
            JsonNode all = EventJson.MAPPER.readTree(body);
            for (int i = all.size() - 1; i >= 0; i--) {
                JsonNode m = all.get(i);
                out.printf(
                        "%-28s %-20s %10d %8d %12s %s%n",
                        m.path("snapshotId").asText(),
                        m.path("takenAt").asText().replaceAll("\\.\\d+Z$", "Z"),
                        m.path("revision").asLong(),
                        m.path("liveKeys").asLong(),
                        Sizes.format(m.path("sizeRaw").asLong()),
                        m.path("drill").path("result").asText("-"));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One snapshot's manifest.")
    static final class ShowCommand implements Callable<Integer> {
        @Parameters(index = "0", converter = IdArgs.Cluster.class, description = "Cluster id.")
        String cluster;

        @Parameters(
                index = "1",
                converter = IdArgs.Id.class,
                defaultValue = "latest",
                description = "Snapshot id, latest or latest-verified.")
        String snapshot;

        @Mixin
        Common common = new Common();

        @Override
        public Integer call() throws Exception {
            String body = ServiceUrls.call("GET", common.base().resolve("/snapshots/" + cluster + "/" + snapshot));
            common.out()
                    .println(EventJson.MAPPER
                            .writerWithDefaultPrettyPrinter()
                            .writeValueAsString(EventJson.MAPPER.readTree(body)));
            return 0;
        }
    }

    @Command(
            name = "verify",
            mixinStandardHelpOptions = true,
            description = "Restore drill: fetch, check, restore into a scratch etcd, compare; exit 1 when it fails.")
    static final class VerifyCommand implements Callable<Integer> {
        @Parameters(index = "0", converter = IdArgs.Cluster.class, description = "Cluster id.")
        String cluster;

        @Parameters(
                index = "1",
                converter = IdArgs.Id.class,
                defaultValue = "latest",
                description = "Snapshot id or latest.")
        String snapshot;

        @Mixin
        Common common = new Common();

        @Mixin
        TimeoutOption timeout = new TimeoutOption();

        @Override
        public Integer call() {
            return drill(common.base(), cluster, snapshot, common.output, timeout, common.out());
        }
    }

    @Command(
            name = "get",
            mixinStandardHelpOptions = true,
            description = "Download a snapshot as the raw etcd database into --dir, named as cluster-backup.sh names it"
                    + " (snapshot_<yyyy-MM-dd_HHmmss>.db): decrypted, decompressed, its trailer and SHA-256 checked,"
                    + " ready for etcdutl snapshot restore. An OpenShift backup set also writes"
                    + " static_kuberesources_<same>.tar.gz beside it (SHA-256 checked): the directory cluster-restore.sh"
                    + " takes. Needs a token with role restore.")
    static final class GetCommand implements Callable<Integer> {
        private static final java.time.format.DateTimeFormatter NAME = java.time.format.DateTimeFormatter.ofPattern(
                        "yyyy-MM-dd_HHmmss")
                .withZone(java.time.ZoneOffset.UTC);

        @Parameters(index = "0", converter = IdArgs.Cluster.class, description = "Cluster id.")
        String cluster;

        @Parameters(
                index = "1",
                converter = IdArgs.Id.class,
                defaultValue = "latest",
                description = "Snapshot id, latest or latest-verified (default: ${DEFAULT-VALUE}).")
        String snapshot;

        @Option(names = "--dir", required = true, description = "Directory to write into (created if missing).")
        java.nio.file.Path dir;

        @Mixin
        Common common = new Common();

        @Mixin
        TimeoutOption timeout = new TimeoutOption();

        @Override
        public Integer call() throws Exception {
            JsonNode manifest =
                    read(ServiceUrls.call("GET", common.base().resolve("/snapshots/" + cluster + "/" + snapshot)));
            String id = manifest.path("snapshotId").asText();
            Deadline deadline = timeout.start(DRILL_BASE, DRILL_RATE)
                    .sizeFor(manifest.path("sizeRaw").asLong());
            java.nio.file.Files.createDirectories(dir);
            String stamp =
                    NAME.format(java.time.Instant.parse(manifest.path("takenAt").asText()));
            java.nio.file.Path target = dir.resolve("snapshot_" + stamp + ".db");
            JsonNode resources = manifest.path("staticResources");
            java.nio.file.Path tarball = dir.resolve("static_kuberesources_" + stamp + ".tar.gz");
            boolean set = !resources.isMissingNode() && !resources.isNull();
            String sha256;
            String tarSha = null;
            try {
                sha256 = fetch(
                        id, "db", target, deadline, manifest.path("sha256").asText(), true);
                if (set) {
                    // an OpenShift backup set: cluster-restore.sh takes both files from the one directory
                    tarSha = fetch(
                            id,
                            "static-resources",
                            tarball,
                            deadline,
                            resources.path("sha256").asText(),
                            false);
                }
            } catch (Exception e) {
                // half a backup set would be taken for a whole one by cluster-restore.sh: none, then
                java.nio.file.Files.deleteIfExists(target);
                throw e;
            }
            common.out()
                    .println(target + "  " + cluster + "/" + id + ", revision "
                            + manifest.path("revision").asLong() + ", " + Sizes.format(java.nio.file.Files.size(target))
                            + ", sha256 " + sha256);
            if (set) {
                common.out()
                        .println(tarball + "  " + resources.path("resources").size() + " static-pod resource"
                                + " revisions, " + Sizes.format(java.nio.file.Files.size(tarball)) + ", sha256 "
                                + tarSha);
            }
            return 0;
        }

        /**
         * Downloads one file of the set beside its final name, checks it (etcd's trailer for the
         * database, the SHA-256 of the whole file for the tarball) against the manifest, and only then
         * renames it into place: nothing half-written or unchecked is left behind.
         */
        private String fetch(
                String id, String what, java.nio.file.Path target, Deadline deadline, String expected, boolean trailer)
                throws Exception {
            java.nio.file.Path partial = target.resolveSibling(target.getFileName() + ".part");
            String sha256;
            try (java.io.InputStream in = ServiceUrls.download(
                            common.base().resolve("/snapshots/" + cluster + "/" + id + "/" + what),
                            deadline.left(Duration.ofDays(1)));
                    java.io.OutputStream file = java.nio.file.Files.newOutputStream(partial)) {
                if (trailer) {
                    io.etcdguardian.common.digest.TrailerDigest digest =
                            new io.etcdguardian.common.digest.TrailerDigest(file);
                    in.transferTo(digest);
                    sha256 = digest.check(); // etcd's own trailer: a truncated or altered download fails here
                } else {
                    java.security.MessageDigest digest = io.etcdguardian.common.digest.Sha256.newDigest();
                    in.transferTo(new java.security.DigestOutputStream(file, digest));
                    sha256 = io.etcdguardian.common.digest.Sha256.hex(digest);
                }
            } catch (Exception e) {
                java.nio.file.Files.deleteIfExists(partial);
                throw e;
            }
            if (!sha256.equals(expected)) {
                java.nio.file.Files.deleteIfExists(partial);
                throw new IllegalStateException("downloaded " + target.getFileName() + " of " + cluster + "/" + id
                        + " has SHA-256 " + sha256 + ", its manifest says " + expected + ": not written");
            }
            java.nio.file.Files.move(
                    partial,
                    target,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return sha256;
        }
    }

    // a drill fetches, decompresses, checks, restores into a scratch etcd and counts: 1 s per 8 MiB, after 2 min
    static final Duration DRILL_BASE = Duration.ofMinutes(2);
    static final long DRILL_RATE = 8L << 20;

    /**
     * Runs a restore drill through snapshot-service and prints its result; 0 when it passed. The
     * snapshot's manifest comes first: its size sizes the wait (--timeout auto).
     */
    public static int drill(
            URI snapshotService,
            String cluster,
            String snapshot,
            String output,
            TimeoutOption timeout,
            PrintWriter out) {
        JsonNode described =
                read(ServiceUrls.call("GET", snapshotService.resolve("/snapshots/" + cluster + "/" + snapshot)));
        String id = described.path("snapshotId").asText(snapshot);
        Deadline deadline = timeout.start(DRILL_BASE, DRILL_RATE)
                .sizeFor(described.path("sizeRaw").asLong());
        String body;
        try {
            body = ServiceUrls.call(
                    "POST",
                    snapshotService.resolve("/snapshots/" + cluster + "/" + id + "/drill"),
                    deadline.left(Duration.ofDays(1)));
        } catch (NoAnswer e) {
            throw new NoAnswer(
                    "no drill result for " + cluster + "/" + id + " ("
                            + Sizes.format(described.path("sizeRaw").asLong()) + ") " + deadline.describe() + ": "
                            + e.getMessage(),
                    e);
        }
        JsonNode manifest = read(body);
        JsonNode drill = manifest.path("drill");
        if ("json".equals(output)) {
            out.println(body);
        } else {
            out.println(cluster + "/" + manifest.path("snapshotId").asText() + " "
                    + drill.path("result").asText() + ": "
                    + drill.path("detail").asText());
        }
        return DrillResult.PASSED.name().equals(drill.path("result").asText()) ? 0 : 1;
    }

    private static JsonNode read(String body) {
        try {
            return EventJson.MAPPER.readTree(body);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("snapshot-service answered with something that is not a manifest", e);
        }
    }
}
