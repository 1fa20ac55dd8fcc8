package io.etcdguardian.cli.restore;

import io.cloudevents.CloudEvent;
import io.etcdguardian.cli.backup.BackupCommand;
import io.etcdguardian.cli.backup.BackupFollower;
import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.IdArgs;
import io.etcdguardian.cli.options.PointInTimeOptions;
import io.etcdguardian.cli.options.ServiceUrls;
import io.etcdguardian.cli.progress.ProgressDisplay;
import io.etcdguardian.cli.progress.Sizes;
import io.etcdguardian.cli.snapshots.SnapshotsCommand;
import io.etcdguardian.cli.wait.Deadline;
import io.etcdguardian.cli.wait.NoAnswer;
import io.etcdguardian.cli.wait.RunningService;
import io.etcdguardian.cli.wait.TimeoutOption;
import io.etcdguardian.common.event.BackupRequested;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.RestorePlanned;
import io.etcdguardian.common.event.RestoreProgress;
import io.etcdguardian.common.event.RestoreRequested;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Publishes a restore request and follows it: the plan, then every step, until the restore completes,
 * fails (exit 1, with how to resume) or is handed over (exit 0, the host commands printed).
 */
@Command(
        name = "restore",
        mixinStandardHelpOptions = true,
        description = "Restore a cluster from a snapshot (latest verified unless --snapshot), or as it was at"
                + " --to-revision/--to-time (a snapshot made from the journal first), step by step.")
public final class RestoreCommand implements Callable<Integer> {
    @Parameters(index = "0", converter = IdArgs.Cluster.class, description = "Cluster id.")
    String cluster;

    @Option(
            names = "--snapshot",
            converter = IdArgs.Id.class,
            description = "Snapshot id, latest-verified (default), latest; hosted-onprem also writers-stopped (a"
                    + " snapshot taken once the API servers are stopped) or member-db (member 0's own member/snap/db,"
                    + " restored without a hash check).")
    String snapshot;

    @Option(
            names = "--target",
            description = "local, hosted-onprem, hosted-aws, kubeadm or openshift (default: the"
                    + " cluster's kubernetes.kind).")
    String target;

    @Option(names = "--dry-run", description = "Print the plan, touch nothing.")
    boolean dryRun;

    @Option(names = "--force", hidden = true, description = "Removed: name what to accept instead.")
    boolean force;

    @Option(
            names = "--accept-version-mismatch",
            description = "Restore a snapshot of another z-stream than the" + " cluster runs (shown in the plan).")
    boolean acceptVersionMismatch;

    @Option(
            names = "--recreate-encryption-secret",
            description = "hosted-aws: create the missing encryption-key"
                    + " secret (spec.secretEncryption.aescbc.activeKey) from the key bundle saved with the snapshot.")
    boolean recreateEncryptionSecret;

    @Option(
            names = "--supersede-stopped-restore",
            description = "Start while another restore of the cluster is"
                    + " stopped (FAILED) instead of resuming it (shown in the plan).")
    boolean supersedeStoppedRestore;

    @Option(
            names = "--api-server-replicas",
            paramLabel = "N",
            description = "Replicas the API servers get back when"
                    + " the restore finds them at 0 (default: the fleet's restore.apiServerReplicas).")
    Integer apiServerReplicas;

    @Option(names = "--yes", description = "Apply the plan without asking (for scripts): the plan is still printed.")
    boolean yes;

    @Option(
            names = "--plan-digest",
            paramLabel = "DIGEST",
            description = "Apply only if the plan is still the one"
                    + " with this digest (printed by --dry-run): the plan you reviewed, not whatever runs now.")
    String planDigest;

    @Option(
            names = "--resume",
            converter = IdArgs.Id.class,
            paramLabel = "RESTORE_ID",
            description = "Continue a stopped restore at its step, or a handed-over one once its host steps are done.")
    String resume;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    PointInTimeOptions pointInTime;

    @Mixin
    ServiceUrls urls = new ServiceUrls();

    @Option(
            names = "--prefix",
            paramLabel = "PREFIX",
            description = "Only the keys under PREFIX (e.g. /registry/secrets/prod/), put back into the live cluster"
                    + " as they were at --to-revision/--to-time: each key written only if nobody changed it since it"
                    + " was read; nothing else is touched.")
    String prefix;

    @Mixin
    TimeoutOption timeout = new TimeoutOption();

    @Option(
            names = {"-o", "--output"},
            defaultValue = "text",
            description = "text or json (one event per line).")
    String output;

    @Mixin
    BackplaneOption backplane = new BackplaneOption();

    @Spec
    CommandSpec spec;

    // the plan: preconditions, the catalogue, the control plane read; applying it: a pre-restore
    // backup, the fetch, etcd's restore and the members' start, at 1 s per 4 MiB of the snapshot, after 20 min
    static final Duration PLAN_BASE = Duration.ofMinutes(2);
    static final Duration APPLY_BASE = Duration.ofMinutes(20);
    static final long APPLY_RATE = 4L << 20;

    private ProgressDisplay progress;
    private java.io.PrintWriter err;

    @Override
    public Integer call() throws Exception {
        err = spec.commandLine().getErr();
        if (force) {
            err.println("--force was split into named overrides: --accept-version-mismatch,"
                    + " --supersede-stopped-restore; none of them skips the target check or the one-restore lease");
            return 2;
        }
        List<String> overrides = new ArrayList<>();
        if (acceptVersionMismatch) {
            overrides.add(RestoreRequested.ACCEPT_VERSION_MISMATCH);
        }
        if (recreateEncryptionSecret) {
            overrides.add(RestoreRequested.RECREATE_ENCRYPTION_SECRET);
        }
        if (supersedeStoppedRestore) {
            overrides.add(RestoreRequested.SUPERSEDE_STOPPED_RESTORE);
        }
        if (prefix != null) {
            if (pointInTime == null || snapshot != null || resume != null || target != null) {
                err.println("--prefix goes with --to-revision or --to-time only");
                return 2;
            }
            return prefixRestore();
        }
        if (pointInTime != null && (snapshot != null || resume != null)) {
            err.println(pointInTime.describe() + " makes the snapshot to restore: not with --snapshot or --resume");
            return 2;
        }
        try (EventStream stream = backplane.eventStream();
                EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS);
                EventStream.DeadLetterWatch refused = stream.watchDeadLetters();
                ProgressDisplay shown = ProgressDisplay.of(spec, output, "restore " + cluster)) {
            progress = shown;
            RunningService.require(stream, "restore-service", Topics.RESTORE_REQUESTS);
            if (pointInTime != null) {
                // the snapshot of that moment first (made again only if none was made for the revision lately)
                Optional<String> made = pointInTimeSnapshot(stream, refused);
                if (made.isEmpty()) {
                    return 1;
                }
                snapshot = made.get();
            }
            RestoreRequested asked = new RestoreRequested(
                    cluster, snapshot, target, true, false, "guardianctl", resume, null, overrides, apiServerReplicas);
            if (resume != null) { // the journaled plan goes on; the service checks it is still the approved one
                CloudEvent request = stream.publish("/guardian/guardianctl", asked.applying(null));
                return follow(events, refused, request.getId(), resume, timeout.start(APPLY_BASE, APPLY_RATE));
            }
            CloudEvent dry = stream.publish("/guardian/guardianctl", asked);
            text("plan of a restore of " + cluster + (dryRun ? " (dry run)" : ""));
            int planned = follow(events, refused, dry.getId(), dry.getId(), timeout.start(PLAN_BASE, APPLY_RATE));
            if (planned != 0 || dryRun) {
                return planned;
            }
            String digest = lastPlan.planDigest();
            if (planDigest != null && !planDigest.equals(digest)) {
                err.println("the plan is no longer the one reviewed (reviewed " + planDigest + ", now " + digest
                        + "): nothing was done; review the plan above");
                return 1;
            }
            if (!yes && planDigest == null && !confirmed()) {
                return 1;
            }
            CloudEvent request = stream.publish("/guardian/guardianctl", asked.applying(digest));
            text("restore " + request.getId() + " of " + cluster + " applying plan " + digest);
            Deadline deadline = timeout.start(APPLY_BASE, APPLY_RATE);
            if (lastPlan.snapshotBytes() != null) {
                deadline.sizeFor(lastPlan.snapshotBytes());
            }
            return follow(events, refused, request.getId(), request.getId(), deadline);
        }
    }

    private RestorePlanned lastPlan;

    /** The prefix compared first (a dry run of the service), shown, confirmed, then applied. */
    private int prefixRestore() throws Exception {
        java.io.PrintWriter out = spec.commandLine().getOut();
        URI uri = urls.snapshotService(backplane.state()).resolve("/snapshots/" + cluster + "/prefix-restore");
        Duration wait = timeout.start(APPLY_BASE, APPLY_RATE).left(Duration.ofDays(1));
        com.fasterxml.jackson.databind.JsonNode compared =
                EventJson.MAPPER.readTree(ServiceUrls.call("POST", uri, wait, body(true)));
        out.println("prefix " + prefix + " of " + cluster + " as it was at revision "
                + compared.path("revision").asLong()
                + " (received " + compared.path("revisionTime").asText() + ", from snapshot "
                + compared.path("baseSnapshotId").asText() + " and the journal):");
        int n = 0;
        for (com.fasterxml.jackson.databind.JsonNode c : compared.path("changes")) {
            out.printf("  %-6s %s%n", c.path("action").asText(), c.path("key").asText());
            n++;
        }
        if (n == 0) {
            out.println("  nothing differs from the live cluster: nothing to do");
            return 0;
        }
        out.println(n + " keys to write; each only if its live mod revision is still the one read"
                + " (a Kubernetes API server's watch caches see the writes; encrypted values need the key that"
                + " encrypted them still configured)");
        if (dryRun) {
            return 0;
        }
        if (!yes && !confirmed("Write these keys into %s?", "Apply with --yes")) {
            return 1;
        }
        com.fasterxml.jackson.databind.JsonNode done =
                EventJson.MAPPER.readTree(ServiceUrls.call("POST", uri, wait, body(false)));
        done.path("applied").forEach(a -> out.println("  written  " + a.asText()));
        done.path("skipped").forEach(a -> out.println("  SKIPPED  " + a.asText() + " (changed since it was read)"));
        out.println("prefix restore " + done.path("operationId").asText() + ": "
                + done.path("applied").size() + " written, "
                + done.path("skipped").size() + " skipped");
        return 0;
    }

    private String body(boolean dry) throws Exception {
        java.util.Map<String, Object> b = new java.util.LinkedHashMap<>();
        b.put("prefix", prefix);
        BackupRequested asked = pointInTime.request(cluster, "guardianctl");
        b.put("toRevision", asked.toRevision());
        b.put("toTime", asked.toTime() == null ? null : asked.toTime().toString());
        b.put("dryRun", dry);
        return EventJson.MAPPER.writeValueAsString(b);
    }

    /** Asks snapshot-service for the snapshot of the requested moment and follows it; its id, or empty when it failed. */
    private Optional<String> pointInTimeSnapshot(EventStream stream, EventStream.DeadLetterWatch refused)
            throws NoAnswer {
        RunningService.require(stream, "snapshot-service", Topics.BACKUP_REQUESTS);
        try (EventStream.Follower snapshots = stream.follow(Topics.SNAPSHOT_EVENTS)) {
            CloudEvent request = stream.publish("/guardian/guardianctl", pointInTime.request(cluster, "guardianctl"));
            text("point in time: " + cluster + " as it was at " + pointInTime.describe()
                    + ", made from a snapshot and the journal");
            BackupFollower.Outcome made = BackupFollower.follow(
                    snapshots,
                    refused,
                    progress,
                    err,
                    cluster,
                    request.getId(),
                    timeout.start(BackupCommand.QUEUED, BackupCommand.RATE));
            if (made.exitCode() != 0) {
                return Optional.empty();
            }
            // a restore takes only a snapshot proven restorable: its drill now, from the store, as any other's
            String id = made.completed().snapshotId();
            int drilled = SnapshotsCommand.drill(
                    urls.snapshotService(backplane.state()),
                    cluster,
                    id,
                    "text",
                    timeout,
                    spec.commandLine().getOut());
            return drilled == 0 ? Optional.of(id) : Optional.empty();
        }
    }

    /** On a terminal, the operator types the cluster id; anywhere else --yes (or --plan-digest) is needed. */
    private boolean confirmed() {
        return confirmed(
                "Apply this plan to %s?",
                "Apply this plan with --yes, or exactly the plan reviewed with --plan-digest " + lastPlan.planDigest());
    }

    /** {@code question}: a format naming the cluster; {@code otherwise}: how to go on without a terminal. */
    private boolean confirmed(String question, String otherwise) {
        java.io.Console console = System.console();
        if (console == null) {
            err.println("not a terminal: nothing was done. " + otherwise);
            return false;
        }
        String answer = console.readLine(question + " Type the cluster id to confirm: ", cluster);
        if (!cluster.equals(answer == null ? null : answer.trim())) {
            err.println("not confirmed: nothing was done");
            return false;
        }
        return true;
    }

    /**
     * Prints the restore's events until it ends (or, for a dry run, until its plan): 0 done or handed
     * over, 1 failed or refused; no end by the deadline is {@link NoAnswer} (exit 3).
     */
    private int follow(
            EventStream.Follower events,
            EventStream.DeadLetterWatch refused,
            String requestId,
            String restoreId,
            Deadline deadline)
            throws Exception {
        boolean planOnly = requestId.equals(restoreId) && lastPlan == null && resume == null;
        while (!deadline.passed()) {
            Optional<GuardianEvent> next =
                    events.await(e -> restoreId.equals(idOf(e)), deadline.left(Duration.ofSeconds(2)));
            if (next.isEmpty()) {
                Optional<String> reason = refused.reasonFor(requestId);
                if (reason.isPresent()) {
                    progress.close();
                    err.println("restore of " + cluster + " refused by restore-service: " + reason.get()
                            + " (the request is kept on " + Topics.DEAD_LETTER + ")");
                    return 1;
                }
                continue;
            }
            GuardianEvent event = next.get();
            progress.event(event);
            if (event instanceof RestorePlanned plan
                    && lastPlan != null
                    && !planOnly
                    && plan.planDigest().equals(lastPlan.planDigest())) {
                continue; // the plan just reviewed, journaled for this restore: not printed twice
            }
            if (event instanceof RestorePlanned plan) {
                text("plan: snapshot " + plan.snapshotId()
                        + (plan.snapshotBytes() == null ? "" : " (" + Sizes.format(plan.snapshotBytes()) + ")")
                        + ", target " + plan.target() + ", digest "
                        + plan.planDigest());
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
                    if (p.status() == ProgressStatus.RUNNING && p.bytesDone() != null && p.bytesTotal() != null) {
                        deadline.sizeFor(p.bytesTotal());
                        if (progress.mode() == ProgressDisplay.Mode.BAR) {
                            progress.step(
                                    p.stepIndex() == null ? 0 : p.stepIndex() - 1,
                                    p.stepCount() == null ? 1 : p.stepCount(),
                                    p.step() + " " + Sizes.format(p.bytesDone()) + " of "
                                            + Sizes.format(p.bytesTotal()));
                        } else {
                            progress.bytes(p.bytesDone(), p.bytesTotal(), p.step());
                        }
                        continue;
                    }
                    if (!planOnly || !p.step().equals("preconditions")) {
                        String place = p.stepIndex() == null ? "" : "[" + p.stepIndex() + "/" + p.stepCount() + "] ";
                        text(String.format(
                                "%-32s %-8s %s", place + p.step(), p.status(), p.detail() == null ? "" : p.detail()));
                        if (p.stepIndex() != null) {
                            progress.step(
                                    p.status() == ProgressStatus.STARTED ? p.stepIndex() - 1 : p.stepIndex(),
                                    p.stepCount(),
                                    p.step() + " " + p.status());
                        }
                    }
                    continue;
                }
                progress.close();
                text("restore " + p.status() + ": " + p.detail());
                // REFUSED touched nothing, FAILED stopped part-way: both are not what was asked for
                return p.status().succeeded() ? 0 : 1;
            }
        }
        throw new NoAnswer("no " + (planOnly ? "plan" : "end") + " of restore " + restoreId + " of " + cluster + " "
                + deadline.describe()
                + (planOnly ? "" : "; it may still run: guardianctl status " + cluster + " shows where it is"));
    }

    private void text(String line) {
        progress.line(line);
    }

    private static String idOf(GuardianEvent e) {
        if (e instanceof RestorePlanned p) {
            return p.restoreId();
        }
        return e instanceof RestoreProgress p ? p.restoreId() : null;
    }
}
