package io.etcdguardian.cli.snapshots;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.cli.BackplaneOption;
import io.etcdguardian.cli.ServiceUrls;
import io.etcdguardian.common.event.EventJson;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The committed snapshots of a cluster (snapshot-service's catalogue), and drills that verify one. */
@Command(name = "snapshots", mixinStandardHelpOptions = true, description = "List, show and verify snapshots.",
        subcommands = {SnapshotsCommand.ListCommand.class, SnapshotsCommand.ShowCommand.class,
                SnapshotsCommand.VerifyCommand.class})
public final class SnapshotsCommand {

    /** Shared options. */
    static class Common {
        @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json.")
        String output;

        @Mixin
        ServiceUrls urls = new ServiceUrls();

        @Mixin
        BackplaneOption backplane = new BackplaneOption();

        URI base() {
            return urls.snapshotService(backplane.state());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "A cluster's committed snapshots, newest first.")
    static final class ListCommand implements Callable<Integer> {
        @Parameters(index = "0", description = "Cluster id.")
        String cluster;

        @Mixin
        Common common = new Common();

        @Override
        public Integer call() throws Exception {
            String body = ServiceUrls.call("GET", common.base().resolve("/snapshots/" + cluster));
            if ("json".equals(common.output)) {
                System.out.println(body);
                return 0;
            }
            System.out.printf("%-28s %-20s %10s %8s %12s %s%n", "SNAPSHOT", "TAKEN", "REVISION", "KEYS", "SIZE", "DRILL");
            JsonNode all = EventJson.MAPPER.readTree(body);
            for (int i = all.size() - 1; i >= 0; i--) {
                JsonNode m = all.get(i);
                System.out.printf("%-28s %-20s %10d %8d %12d %s%n", m.path("snapshotId").asText(),
                        m.path("takenAt").asText().replaceAll("\\.\\d+Z$", "Z"), m.path("revision").asLong(),
                        m.path("liveKeys").asLong(), m.path("sizeRaw").asLong(),
                        m.path("drill").path("result").asText("-"));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One snapshot's manifest.")
    static final class ShowCommand implements Callable<Integer> {
        @Parameters(index = "0", description = "Cluster id.")
        String cluster;

        @Parameters(index = "1", defaultValue = "latest", description = "Snapshot id, latest or latest-verified.")
        String snapshot;

        @Mixin
        Common common = new Common();

        @Override
        public Integer call() throws Exception {
            String body = ServiceUrls.call("GET", common.base().resolve("/snapshots/" + cluster + "/" + snapshot));
            System.out.println(EventJson.MAPPER.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(EventJson.MAPPER.readTree(body)));
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Restore drill: fetch, check, restore into a scratch etcd, compare; exit 1 when it fails.")
    static final class VerifyCommand implements Callable<Integer> {
        @Parameters(index = "0", description = "Cluster id.")
        String cluster;

        @Parameters(index = "1", defaultValue = "latest", description = "Snapshot id or latest.")
        String snapshot;

        @Mixin
        Common common = new Common();

        @Override
        public Integer call() {
            return drill(common.base(), cluster, snapshot, common.output);
        }
    }

    /** Runs a restore drill through snapshot-service and prints its result; 0 when it passed. */
    public static int drill(URI snapshotService, String cluster, String snapshot, String output) {
        String body = ServiceUrls.call("POST", snapshotService.resolve("/snapshots/" + cluster + "/" + snapshot
                + "/drill"));
        JsonNode manifest;
        try {
            manifest = EventJson.MAPPER.readTree(body);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("snapshot-service answered with something that is not a manifest", e);
        }
        JsonNode drill = manifest.path("drill");
        if ("json".equals(output)) {
            System.out.println(body);
        } else {
            System.out.println(cluster + "/" + manifest.path("snapshotId").asText() + " " + drill.path("result")
                    .asText() + ": " + drill.path("detail").asText());
        }
        return "PASSED".equals(drill.path("result").asText()) ? 0 : 1;
    }
}
