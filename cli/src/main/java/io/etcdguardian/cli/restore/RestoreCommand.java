package io.etcdguardian.cli.restore;

import io.cloudevents.CloudEvent;
import io.etcdguardian.cli.BackplaneOption;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.RestorePlanned;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Publishes a restore request and follows it: the plan, then every step, until the restore completes,
 * fails (exit 1, with how to resume) or is handed over (exit 0, the host commands printed).
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Restore a cluster from a snapshot (latest verified unless --snapshot), step by step.")
public final class RestoreCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Cluster id.")
    String cluster;

    @Option(names = "--snapshot", description = "Snapshot id, latest-verified (default) or latest.")
    String snapshot;

    @Option(names = "--target", description = "local, hosted-onprem, hosted-aws, kubeadm or openshift (default: the"
            + " cluster's kubernetes.kind).")
    String target;

    @Option(names = "--dry-run", description = "Print the plan, touch nothing.")
    boolean dryRun;

    @Option(names = "--force", hidden = true, description = "Removed: name what to accept instead.")
    boolean force;

    @Option(names = "--accept-version-mismatch", description = "Restore a snapshot of another z-stream than the"
            + " cluster runs (shown in the plan).")
    boolean acceptVersionMismatch;

    @Option(names = "--supersede-stopped-restore", description = "Start while another restore of the cluster is"
            + " stopped (FAILED) instead of resuming it (shown in the plan).")
    boolean supersedeStoppedRestore;

    @Option(names = "--api-server-replicas", paramLabel = "N", description = "Replicas the API servers get back when"
            + " the restore finds them at 0 (default: the fleet's restore.apiServerReplicas).")
    Integer apiServerReplicas;

    @Option(names = "--yes", description = "Apply the plan without asking (for scripts): the plan is still printed.")
    boolean yes;

    @Option(names = "--plan-digest", paramLabel = "DIGEST", description = "Apply only if the plan is still the one"
            + " with this digest (printed by --dry-run): the plan you reviewed, not whatever runs now.")
    String planDigest;

    @Option(names = "--resume", paramLabel = "RESTORE_ID", description = "Continue a stopped restore at its step.")
    String resume;

    @Option(names = "--timeout", defaultValue = "3600", description = "Seconds to follow the restore (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (one event per line).")
    String output;

    @Mixin
    BackplaneOption backplane = new BackplaneOption();

    @Override
    public Integer call() throws Exception {
        if (force) {
            System.err.println("--force was split into named overrides: --accept-version-mismatch,"
                    + " --supersede-stopped-restore; none of them skips the target check or the one-restore lease");
            return 2;
        }
        List<String> overrides = new ArrayList<>();
        if (acceptVersionMismatch) {
            overrides.add(RestoreRequested.ACCEPT_VERSION_MISMATCH);
        }
        if (supersedeStoppedRestore) {
            overrides.add(RestoreRequested.SUPERSEDE_STOPPED_RESTORE);
        }
        RestoreRequested asked = new RestoreRequested(cluster, snapshot, target, true, false, "guardianctl", resume,
                null, overrides, apiServerReplicas);
        try (EventStream stream = new EventStream(backplane.bootstrapServers());
             EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS);
             EventStream.DeadLetterWatch refused = stream.watchDeadLetters()) {
            Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
            if (resume != null) { // the journaled plan goes on; the service checks it is still the approved one
                CloudEvent request = stream.publish("/guardian/guardianctl", asked.applying(null));
                return follow(events, refused, request.getId(), resume, deadline);
            }
            CloudEvent dry = stream.publish("/guardian/guardianctl", asked);
            text("plan of a restore of " + cluster + (dryRun ? " (dry run)" : ""));
            int shown = follow(events, refused, dry.getId(), dry.getId(), deadline);
            if (shown != 0 || dryRun) {
                return shown;
            }
            String digest = lastPlan.planDigest();
            if (planDigest != null && !planDigest.equals(digest)) {
                System.err.println("the plan is no longer the one reviewed (reviewed " + planDigest + ", now " + digest
                        + "): nothing was done; review the plan above");
                return 1;
            }
            if (!yes && planDigest == null && !confirmed()) {
                return 1;
            }
            CloudEvent request = stream.publish("/guardian/guardianctl", asked.applying(digest));
            text("restore " + request.getId() + " of " + cluster + " applying plan " + digest);
            return follow(events, refused, request.getId(), request.getId(), deadline);
        }
    }

    private RestorePlanned lastPlan;

    /** On a terminal, the operator types the cluster id; anywhere else --yes (or --plan-digest) is needed. */
    private boolean confirmed() {
        java.io.Console console = System.console();
        if (console == null) {
            System.err.println("not a terminal: nothing was done. Apply this plan with --yes, or exactly the plan"
                    + " reviewed with --plan-digest " + lastPlan.planDigest());
            return false;
        }
        String answer = console.readLine("Apply this plan to %s? Type the cluster id to confirm: ", cluster);
        if (!cluster.equals(answer == null ? null : answer.trim())) {
            System.err.println("not confirmed: nothing was done");
            return false;
        }
        return true;
    }

    /**
     * Prints the restore's events until it ends (or, for a dry run, until its plan): 0 done or handed
     * over, 1 failed or refused, 3 no end by the deadline.
     */
    private int follow(EventStream.Follower events, EventStream.DeadLetterWatch refused, String requestId,
                       String restoreId, Instant deadline) throws Exception {
        boolean planOnly = requestId.equals(restoreId) && lastPlan == null && resume == null;
        while (Instant.now().isBefore(deadline)) {
            Optional<GuardianEvent> next = events.await(e -> restoreId.equals(idOf(e)), Duration.ofSeconds(2));
            if (next.isEmpty()) {
                Optional<String> reason = refused.reasonFor(requestId);
                if (reason.isPresent()) {
                    System.err.println("restore of " + cluster + " refused by restore-service: " + reason.get()
                            + " (the request is kept on " + Topics.DEAD_LETTER + ")");
                    return 1;
                }
                continue;
            }
            GuardianEvent event = next.get();
            if ("json".equals(output)) {
                System.out.println(EventJson.MAPPER.writeValueAsString(event));
            }
            if (event instanceof RestorePlanned plan) {
                text("plan: snapshot " + plan.snapshotId() + ", target " + plan.target() + ", digest " + plan.planDigest());
                plan.steps().forEach(s -> {
                    text(String.format("  %-24s %s%s", s.name(), s.manual() ? "[on the host] " : "", s.description()));
                    s.touches().forEach(t -> text("      " + t));
                });
                plan.notes().forEach(n -> text("  note: " + n));
                if (planOnly) {
                    lastPlan = plan;
                    return 0;
                }
            } else if (event instanceof RestoreProgress p) {
                if (!p.step().equals("restore")) {
                    if (!planOnly || !p.step().equals("preconditions")) {
                        text(String.format("%-24s %-8s %s", p.step(), p.status(), p.detail() == null ? "" : p.detail()));
                    }
                    continue;
                }
                text("restore " + p.status() + ": " + p.detail());
                // REFUSED touched nothing, FAILED stopped part-way: both are not what was asked for
                return p.status().equals("COMPLETED") || p.status().equals("HANDED_OVER") ? 0 : 1;
            }
        }
        System.err.println("no end of restore " + restoreId + " within " + timeoutSeconds + "s (it may still run;"
                + " GET /restores/" + cluster + " on restore-service shows where it is)");
        return 3;
    }

    private void text(String line) {
        if (!"json".equals(output)) {
            System.out.println(line);
        }
    }

    private static String idOf(GuardianEvent e) {
        if (e instanceof RestorePlanned p) {
            return p.restoreId();
        }
        return e instanceof RestoreProgress p ? p.restoreId() : null;
    }
}
