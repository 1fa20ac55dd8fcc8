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

    @Option(names = "--force", description = "Accept another z-stream than the snapshot's.")
    boolean force;

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
        try (EventStream stream = new EventStream(backplane.bootstrapServers());
             EventStream.Follower events = stream.follow(Topics.RESTORE_EVENTS);
             EventStream.DeadLetterWatch refused = stream.watchDeadLetters()) {
            CloudEvent request = stream.publish("/guardian/guardianctl", new RestoreRequested(cluster, snapshot, target,
                    dryRun, force, "guardianctl", resume));
            String restoreId = resume != null ? resume : request.getId();
            text("restore " + restoreId + " of " + cluster + (dryRun ? " (dry run)" : ""));
            Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
            while (Instant.now().isBefore(deadline)) {
                Optional<GuardianEvent> next = events.await(e -> restoreId.equals(idOf(e)), Duration.ofSeconds(2));
                if (next.isEmpty()) {
                    Optional<String> reason = refused.reasonFor(request.getId());
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
                    text("plan: snapshot " + plan.snapshotId() + ", target " + plan.target());
                    plan.steps().forEach(s -> {
                        text(String.format("  %-24s %s%s", s.name(), s.manual() ? "[on the host] " : "", s.description()));
                        s.touches().forEach(t -> text("      " + t));
                    });
                    if (dryRun) {
                        return 0;
                    }
                } else if (event instanceof RestoreProgress p) {
                    if (!p.step().equals("restore")) {
                        text(String.format("%-24s %-8s %s", p.step(), p.status(), p.detail() == null ? "" : p.detail()));
                        continue;
                    }
                    text("restore " + p.status() + ": " + p.detail());
                    return p.status().equals("FAILED") ? 1 : 0;
                }
            }
            System.err.println("no end of restore " + restoreId + " within " + timeoutSeconds + "s (it may still run;"
                    + " GET /restores/" + cluster + " on restore-service shows where it is)");
            return 3;
        }
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
