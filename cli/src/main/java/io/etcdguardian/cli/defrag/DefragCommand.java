package io.etcdguardian.cli.defrag;

import io.cloudevents.CloudEvent;
import io.etcdguardian.cli.BackplaneOption;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.MaintenanceProgress;
import io.etcdguardian.common.event.MaintenanceRequested;
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

/** Asks health-service for a safe defragmentation and prints each step until it ends (exit 1 when it failed). */
@Command(name = "defrag", mixinStandardHelpOptions = true,
        description = "Defragment a cluster safely (snapshot first, followers, then the leader) and follow it.")
public final class DefragCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Cluster id.")
    String cluster;

    @Option(names = "--heal-nospace", description = "Also disarm NOSPACE once space is back (what alerts ask for).")
    boolean heal;

    @Option(names = "--timeout", defaultValue = "7200", description = "Seconds to follow (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (one event per line).")
    String output;

    @Mixin
    BackplaneOption backplane = new BackplaneOption();

    @Override
    public Integer call() throws Exception {
        try (EventStream stream = new EventStream(backplane.bootstrapServers());
             EventStream.Follower events = stream.follow(Topics.HEALTH_EVENTS);
             EventStream.DeadLetterWatch refused = stream.watchDeadLetters()) {
            CloudEvent request = stream.publish("/guardian/guardianctl", new MaintenanceRequested(cluster,
                    heal ? MaintenanceRequested.Action.HEAL_NOSPACE : MaintenanceRequested.Action.DEFRAG,
                    "guardianctl defrag", "guardianctl", Instant.now()));
            String id = request.getId();
            Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
            while (Instant.now().isBefore(deadline)) {
                Optional<GuardianEvent> next = events.await(e -> e instanceof MaintenanceProgress p
                        && id.equals(p.operationId()), Duration.ofSeconds(2));
                if (next.isEmpty()) {
                    Optional<String> reason = refused.reasonFor(id);
                    if (reason.isPresent()) {
                        System.err.println("defragmentation of " + cluster + " refused by health-service: "
                                + reason.get() + " (the request is kept on " + Topics.DEAD_LETTER + ")");
                        return 1;
                    }
                    continue;
                }
                MaintenanceProgress p = (MaintenanceProgress) next.get();
                if ("json".equals(output)) {
                    System.out.println(EventJson.MAPPER.writeValueAsString(p));
                } else {
                    System.out.printf("%-12s %-9s %-28s %s%s%n", p.step(), p.status(), p.member() == null ? "" : p.member(),
                            p.detail() == null ? "" : p.detail(), p.dbSizeAfter() == null ? ""
                                    : " (" + p.dbSizeBefore() + " -> " + p.dbSizeAfter() + " bytes)");
                }
                if (p.step().equals("maintenance")) {
                    // REFUSED: nothing was touched (paused cluster, a restore or another defrag holds the lease)
                    return p.status().equals("FAILED") || p.status().equals("REFUSED") ? 1 : 0;
                }
            }
            System.err.println("defragmentation " + id + " did not end within " + timeoutSeconds + "s");
            return 3;
        }
    }
}
