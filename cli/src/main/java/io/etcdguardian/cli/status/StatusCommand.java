package io.etcdguardian.cli.status;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.FleetFileOption;
import io.etcdguardian.cli.options.IdArgs;
import io.etcdguardian.cli.options.ServiceUrls;
import io.etcdguardian.cli.wait.Durations;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.SloSpec;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Where a cluster stands — newest snapshot and its age, newest restorable one (its restore drill
 * passed) and its age, operations running now, last restore — or the same for every cluster of the
 * fleet; exit 1 when a cluster has no restorable snapshot younger than its SLO (--max-age, else the
 * fleet's slo.maxBackupAge, else 26h): backups that silently stopped, or that
 * no longer restore, are the trap this is for. A snapshot whose drill failed or that was never
 * drilled is not restorable. Read from the fleet catalogue in one call, whatever the fleet's size.
 */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Backup and restore state of a cluster or the fleet.")
public final class StatusCommand implements Callable<Integer> {
    @ArgGroup(multiplicity = "1")
    Which which;

    /** One cluster or the fleet. */
    static class Which {
        @Parameters(index = "0", arity = "0..1", converter = IdArgs.Cluster.class, description = "Cluster id.")
        String cluster;

        @Option(
                names = "--fleet",
                description = "Every cluster of the fleet file (--fleet-file, $GUARDIAN_FLEET_FILE).")
        boolean fleet;
    }

    @Mixin
    FleetFileOption fleetFile = new FleetFileOption();

    @Option(
            names = "--max-age",
            paramLabel = "DURATION",
            description = "Newest restorable snapshot (drill passed)"
                    + " older than this, or none, is not OK (90m, 26h, PT26H; default: the cluster's slo.maxBackupAge in the"
                    + " fleet file, else 26h).")
    String maxAge;

    @Option(
            names = {"-o", "--output"},
            defaultValue = "text",
            description = "text or json.")
    String output;

    @Mixin
    ServiceUrls urls = new ServiceUrls();

    @Mixin
    BackplaneOption backplane = new BackplaneOption();

    @Spec
    CommandSpec spec;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Override
    public Integer call() throws Exception {
        Map<String, ClusterSpec> specs =
                which.fleet ? fleetFile.clusters(backplane.state()) : fleetFile.clustersIfKnown(backplane.state());
        URI catalog = urls.snapshotService(backplane.state()).resolve("/catalog");
        // one read of the fleet catalogue, whatever the fleet's size: no manifest is listed
        JsonNode lines = which.fleet
                ? EventJson.MAPPER.readTree(ServiceUrls.call("GET", catalog))
                : EventJson.MAPPER
                        .createArrayNode()
                        .add(EventJson.MAPPER.readTree(
                                ServiceUrls.call("GET", URI.create(catalog + "/" + which.cluster))));
        List<Map<String, Object>> rows = new ArrayList<>();
        boolean stale = false;
        Instant now = Instant.now();
        for (JsonNode line : lines) {
            String cluster = line.path("clusterId").asText();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("cluster", cluster);
            JsonNode snapshots = line.path("snapshots");
            JsonNode newest = snapshots.path("newest");
            JsonNode verified = snapshots.path("newestRestorable");
            Duration age = ageOf(newest, now);
            Duration restorableAge = ageOf(verified, now);
            row.put(
                    "newestSnapshot",
                    newest.isObject() ? newest.path("snapshotId").asText() : null);
            row.put("newestAgeSeconds", age == null ? null : age.toSeconds());
            row.put(
                    "newestRestorable",
                    verified.isObject() ? verified.path("snapshotId").asText() : null);
            row.put("newestRestorableAgeSeconds", restorableAge == null ? null : restorableAge.toSeconds());
            row.put("snapshots", snapshots.path("snapshots").asInt(0));
            row.put("storedBytes", snapshots.path("storedBytes").asLong(0));
            // how long the newest snapshot has waited for its restore drill (0: drilled)
            row.put(
                    "drillLagSeconds",
                    newest.isObject() && newest.path("drill").isNull()
                            ? ageOf(newest, now, "completedAt").toSeconds()
                            : 0);
            JsonNode lastRestore = null;
            List<Map<String, Object>> operations = new ArrayList<>();
            for (JsonNode op : line.path("operations")) {
                if ("RESTORE".equals(op.path("kind").asText())
                        && (lastRestore == null
                                || op.path("startedAt")
                                                .asText()
                                                .compareTo(lastRestore
                                                        .path("startedAt")
                                                        .asText())
                                        > 0)) {
                    lastRestore = op;
                }
                if ("RUNNING".equals(op.path("status").asText())) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("kind", op.path("kind").asText());
                    o.put("operationId", op.path("operationId").asText());
                    o.put("startedAt", op.path("startedAt").asText());
                    o.put("stepsDone", op.path("stepsDone").asInt());
                    o.put("steps", op.path("steps").asInt());
                    operations.add(o);
                }
            }
            row.put(
                    "lastRestore",
                    lastRestore == null
                            ? null
                            : lastRestore.path("operationId").asText() + " "
                                    + lastRestore.path("status").asText()
                                    + (lastRestore.path("stoppedAt").isTextual()
                                            ? " at "
                                                    + lastRestore
                                                            .path("stoppedAt")
                                                            .asText()
                                            : ""));
            row.put("running", operations);
            JsonNode journal = line.path("journal");
            if (journal.isObject()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("epoch", journal.path("epoch").asText());
                j.put("fromRevision", journal.path("fromRevision").asLong());
                j.put("toRevision", journal.path("toRevision").asLong());
                j.put(
                        "lastArrivalAgeSeconds",
                        journal.path("lastArrival").isTextual()
                                ? Duration.between(
                                                Instant.parse(journal.path("lastArrival")
                                                        .asText()),
                                                now)
                                        .toSeconds()
                                : null);
                List<String> gaps = new ArrayList<>();
                journal.path("openGaps").forEach(g -> gaps.add(g.asText()));
                j.put("openGaps", gaps);
                row.put("journal", j);
            }
            Duration allowed = maxAge != null
                    ? Durations.parse(maxAge)
                    : specs.containsKey(cluster)
                            ? SloSpec.maxBackupAgeOf(specs.get(cluster))
                            : SloSpec.DEFAULT_MAX_BACKUP_AGE;
            row.put("maxAgeSeconds", allowed.toSeconds());
            boolean tooOld = restorableAge == null || restorableAge.compareTo(allowed) > 0;
            row.put("ok", !tooOld);
            stale |= tooOld;
            rows.add(row);
        }
        if ("json".equals(output)) {
            out().println(EventJson.MAPPER.writeValueAsString(rows));
        } else {
            out().printf(
                            "%-20s %-30s %10s %-30s %10s %8s %-5s %-24s %s%n",
                            "CLUSTER",
                            "NEWEST",
                            "AGE",
                            "NEWEST RESTORABLE",
                            "AGE",
                            "MAX AGE",
                            "OK",
                            "RUNNING",
                            "LAST RESTORE");
            for (Map<String, Object> r : rows) {
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> ops = (List<Map<String, Object>>) r.get("running");
                String running = ops.isEmpty()
                        ? "-"
                        : String.join(
                                ",",
                                ops.stream()
                                        .map(o -> o.get("kind").toString().toLowerCase(java.util.Locale.ROOT) + " "
                                                + o.get("stepsDone") + "/" + o.get("steps"))
                                        .toList());
                out().printf(
                                "%-20s %-30s %10s %-30s %10s %8s %-5s %-24s %s%n",
                                r.get("cluster"),
                                dash(r.get("newestSnapshot")),
                                age(r.get("newestAgeSeconds")),
                                dash(r.get("newestRestorable")),
                                age(r.get("newestRestorableAgeSeconds")),
                                age(r.get("maxAgeSeconds")),
                                (Boolean) r.get("ok") ? "yes" : "NO",
                                running,
                                dash(r.get("lastRestore")));
            }
            for (Map<String, Object> r : rows) {
                @SuppressWarnings("unchecked")
                Map<String, Object> j = (Map<String, Object>) r.get("journal");
                if (j != null) {
                    out().println(journalLine(r.get("cluster").toString(), j));
                }
            }
        }
        return stale ? 1 : 0;
    }

    /** What point-in-time restores can reach: the revisions, how fresh, and what no snapshot has closed yet. */
    private static String journalLine(String cluster, Map<String, Object> j) {
        long from = (Long) j.get("fromRevision");
        long to = (Long) j.get("toRevision");
        @SuppressWarnings("unchecked")
        List<String> gaps = (List<String>) j.get("openGaps");
        return "journal of " + cluster + " (epoch " + j.get("epoch") + "): "
                + (from < 0 || to == 0
                        ? "nothing restorable from it yet (waiting for a snapshot to follow)"
                        : "revisions " + from + "-" + to + " restorable (--to-revision, --to-time)")
                + (j.get("lastArrivalAgeSeconds") == null
                        ? ""
                        : ", last received " + age(j.get("lastArrivalAgeSeconds")) + " ago")
                + (gaps.isEmpty() ? "" : "; UNCOVERED until a snapshot after them: " + String.join(", ", gaps));
    }

    private static Duration ageOf(JsonNode snapshot, Instant now) {
        return snapshot.isObject() ? ageOf(snapshot, now, "takenAt") : null;
    }

    private static Duration ageOf(JsonNode snapshot, Instant now, String field) {
        String at = snapshot.path(field).isTextual()
                ? snapshot.path(field).asText()
                : snapshot.path("takenAt").asText();
        return Duration.between(Instant.parse(at), now);
    }

    private static String age(Object seconds) {
        return seconds == null
                ? "-"
                : Duration.ofSeconds((Long) seconds).toString().substring(2).toLowerCase();
    }

    private static String dash(Object value) {
        return value == null ? "-" : value.toString();
    }
}
