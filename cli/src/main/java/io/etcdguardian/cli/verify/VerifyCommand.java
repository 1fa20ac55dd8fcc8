package io.etcdguardian.cli.verify;

import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.FleetFileOption;
import io.etcdguardian.cli.options.IdArgs;
import io.etcdguardian.cli.options.ServiceUrls;
import io.etcdguardian.cli.snapshots.SnapshotsCommand;
import io.etcdguardian.cli.wait.TimeoutOption;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A restore drill of one snapshot, named the way an operator has it at hand: {@code CLUSTER/ID}, an id
 * with --cluster, or a bare id copied from an event or a log, looked up in every cluster of the fleet.
 */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = "Restore drill of a snapshot (CLUSTER/ID, ID [--cluster C], or CLUSTER for its newest): fetch,"
                + " check, restore into a scratch etcd, compare; exit 1 when it fails.")
public final class VerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "CLUSTER/ID, ID, or CLUSTER (its newest).")
    String snapshot;

    @Option(
            names = "--cluster",
            converter = IdArgs.Cluster.class,
            description = "The cluster the snapshot id belongs to.")
    String cluster;

    @Option(
            names = {"-o", "--output"},
            defaultValue = "text",
            description = "text or json.")
    String output;

    @Mixin
    ServiceUrls urls = new ServiceUrls();

    @Mixin
    BackplaneOption backplane = new BackplaneOption();

    @Mixin
    FleetFileOption fleet = new FleetFileOption();

    @Mixin
    TimeoutOption timeout = new TimeoutOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        java.io.PrintWriter out = spec.commandLine().getOut();
        URI service = urls.snapshotService(backplane.state());
        int slash = snapshot.indexOf('/');
        // CLUSTER/ID, ID or CLUSTER: each part checked like a typed id before it reaches a URL
        if (slash > 0) {
            new IdArgs.Cluster().convert(snapshot.substring(0, slash));
            new IdArgs.Id().convert(snapshot.substring(slash + 1));
        } else {
            new IdArgs.Id().convert(snapshot);
        }
        if (slash > 0) {
            return SnapshotsCommand.drill(
                    service, snapshot.substring(0, slash), snapshot.substring(slash + 1), output, timeout, out);
        }
        if (cluster != null) {
            return SnapshotsCommand.drill(service, cluster, snapshot, output, timeout, out);
        }
        List<String> clusters = fleet.clusterIds(backplane.state());
        if (clusters.contains(snapshot)) {
            return SnapshotsCommand.drill(service, snapshot, "latest", output, timeout, out);
        }
        List<String> holders = new ArrayList<>();
        for (String c : clusters) {
            if (exists(service.resolve("/snapshots/" + c + "/" + snapshot))) {
                holders.add(c);
            }
        }
        if (holders.size() != 1) {
            throw new IllegalStateException(
                    holders.isEmpty()
                            ? "no cluster of the fleet has a committed snapshot '" + snapshot + "'"
                            : "snapshot id '" + snapshot + "' exists in " + holders + ": say which with --cluster");
        }
        return SnapshotsCommand.drill(service, holders.get(0), snapshot, output, timeout, out);
    }

    private static boolean exists(URI manifest) {
        try {
            ServiceUrls.call("GET", manifest);
            return true;
        } catch (ServiceUrls.Refused e) {
            if (e.status() == 404) {
                return false;
            }
            throw e;
        }
    }
}
