package io.etcdguardian.cli.defrag;

import io.cloudevents.CloudEvent;
import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.IdArgs;
import io.etcdguardian.cli.progress.ProgressDisplay;
import io.etcdguardian.cli.progress.Sizes;
import io.etcdguardian.cli.wait.Deadline;
import io.etcdguardian.cli.wait.NoAnswer;
import io.etcdguardian.cli.wait.RunningService;
import io.etcdguardian.cli.wait.TimeoutOption;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
import io.etcdguardian.common.event.ProgressStatus;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Asks health-service for a safe defragmentation and prints each step until it ends: exit 0
 * completed, 1 failed or refused, 3 no answer (health-service not running, or no end in time).
 */
@Command(
        name = "defrag",
        mixinStandardHelpOptions = true,
        description = "Defragment a cluster safely (snapshot first, followers, then the leader) and follow it.")
public final class DefragCommand implements Callable<Integer> {
    // snapshot-first and the settle periods, then each member's database at 1 s per 4 MiB as it starts
    static final Duration BASE = Duration.ofMinutes(10);
    static final long RATE = 4L << 20;

    @Parameters(index = "0", converter = IdArgs.Cluster.class, description = "Cluster id.")
    String cluster;

    @Option(names = "--heal-nospace", description = "Also disarm NOSPACE once space is back (what alerts ask for).")
    boolean heal;

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

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        try (EventStream stream = backplane.eventStream();
                EventStream.Follower events = stream.follow(Topics.HEALTH_EVENTS);
                EventStream.DeadLetterWatch refused = stream.watchDeadLetters();
                ProgressDisplay progress = ProgressDisplay.of(spec, output, "defrag " + cluster)) {
            RunningService.require(stream, "health-service", Topics.MAINTENANCE_REQUESTS);
            CloudEvent request = stream.publish(
                    "/guardian/guardianctl",
                    new MaintenanceRequested(
                            cluster,
                            heal ? MaintenanceRequested.Action.HEAL_NOSPACE : MaintenanceRequested.Action.DEFRAG,
                            "guardianctl defrag",
                            "guardianctl",
                            Instant.now()));
            String id = request.getId();
            Deadline deadline = timeout.start(BASE, RATE);
            while (!deadline.passed()) {
                Optional<GuardianEvent> next = events.await(
                        e -> e instanceof MaintenanceProgress p && id.equals(p.operationId()),
                        deadline.left(Duration.ofSeconds(2)));
                if (next.isEmpty()) {
                    Optional<String> reason = refused.reasonFor(id);
                    if (reason.isPresent()) {
                        progress.close();
                        err.println("defragmentation of " + cluster + " refused by health-service: " + reason.get()
                                + " (the request is kept on " + Topics.DEAD_LETTER + ")");
                        return 1;
                    }
                    continue;
                }
                MaintenanceProgress p = (MaintenanceProgress) next.get();
                progress.event(p);
                if (p.dbSizeBefore() != null && p.status() == ProgressStatus.STARTED) {
                    deadline.sizeFor(p.dbSizeBefore()); // members go one at a time: the time of this one from now
                }
                String place = p.stepIndex() == null ? "" : "[" + p.stepIndex() + "/" + p.stepCount() + "] ";
                progress.line(String.format(
                        "%-18s %-9s %-28s %s%s",
                        place + p.step(),
                        p.status(),
                        p.member() == null ? "" : p.member(),
                        p.detail() == null ? "" : p.detail(),
                        p.dbSizeAfter() == null
                                ? ""
                                : " (" + Sizes.format(p.dbSizeBefore()) + " -> " + Sizes.format(p.dbSizeAfter())
                                        + ")"));
                if (p.stepIndex() != null) {
                    progress.step(
                            p.status() == ProgressStatus.STARTED ? p.stepIndex() - 1 : p.stepIndex(),
                            p.stepCount(),
                            p.step() + (p.member() == null ? "" : " " + p.member()) + " " + p.status());
                }
                if (p.step().equals("maintenance")) {
                    progress.close();
                    // REFUSED: nothing was touched (paused cluster, a restore or another defrag holds the lease)
                    return p.status() == ProgressStatus.FAILED || p.status() == ProgressStatus.REFUSED ? 1 : 0;
                }
            }
            throw new NoAnswer("no end of defragmentation " + id + " of " + cluster + " " + deadline.describe()
                    + " (health-service may still be working on it: guardianctl events --cluster " + cluster + ")");
        }
    }
}
