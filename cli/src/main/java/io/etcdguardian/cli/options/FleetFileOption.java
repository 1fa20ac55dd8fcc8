package io.etcdguardian.cli.options;

import io.etcdguardian.cli.config.ContextSelection;
import io.etcdguardian.cli.config.GuardianConfig;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.FleetParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Which clusters there are: --fleet-file, else $GUARDIAN_FLEET_FILE, else the context's, else the local backplane's fleet. */
public class FleetFileOption {
    @Option(names = "--fleet-file", description = "Fleet file (default: $GUARDIAN_FLEET_FILE, else the local one).")
    Path fleetFile;

    public List<String> clusterIds(Path state) {
        return List.copyOf(clusters(state).keySet());
    }

    /** The fleet's clusters, by id, in file order. */
    public java.util.Map<String, ClusterSpec> clusters(Path state) {
        Path file = file(state);
        try {
            return FleetParser.parseDocument(Files.readString(file)).clusters();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot read the fleet file " + file + ": give --fleet-file or set" + " GUARDIAN_FLEET_FILE", e);
        }
    }

    /** The fleet's clusters when there is a fleet file to read; none otherwise (a remote fleet, say). */
    public java.util.Map<String, ClusterSpec> clustersIfKnown(Path state) {
        return Files.isReadable(file(state)) ? clusters(state) : java.util.Map.of();
    }

    private Path file(Path state) {
        String env = System.getenv("GUARDIAN_FLEET_FILE");
        Path file = fleetFile != null
                ? fleetFile
                : env != null && !env.isBlank()
                        ? Path.of(env)
                        : ContextSelection.current()
                                .map(GuardianConfig.Context::fleetFile)
                                .map(GuardianConfig::expand)
                                .orElse(state.resolve("fleet.yaml"));
        return file;
    }
}
