package io.etcdguardian.cli.events;

import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.IdArgs;
import io.etcdguardian.cli.progress.ProgressDisplay;
import io.etcdguardian.common.event.GuardianEvent;
import io.etcdguardian.common.event.Topics;
import io.etcdguardian.common.kafka.EventStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints events as they arrive on the event topics ({type, data} JSON, one per line), optionally of one cluster. */
@Command(name = "events", mixinStandardHelpOptions = true, description = "Follow the backplane's events.")
public final class EventsCommand implements Callable<Integer> {
    private static final List<String> TOPICS = List.of(
            Topics.SNAPSHOT_EVENTS,
            Topics.HEALTH_EVENTS,
            Topics.RESTORE_EVENTS,
            Topics.SCHEDULER_EVENTS,
            Topics.BACKUP_REQUESTS,
            Topics.MAINTENANCE_REQUESTS,
            Topics.RESTORE_REQUESTS);

    @Option(names = "--follow", description = "Keep following (without it: print what arrives within --for seconds).")
    boolean follow;

    @Option(
            names = "--for",
            defaultValue = "10",
            description = "Seconds to listen without --follow (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--cluster", converter = IdArgs.Cluster.class, description = "Only this cluster's events.")
    String cluster;

    @Mixin
    BackplaneOption backplane = new BackplaneOption();

    @Spec
    CommandSpec spec;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Override
    public Integer call() throws Exception {
        try (EventStream stream = backplane.eventStream()) {
            List<EventStream.Follower> followers = new ArrayList<>();
            try {
                for (String topic : TOPICS) {
                    followers.add(stream.follow(topic));
                }
                long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
                while (follow || System.nanoTime() < end) {
                    for (EventStream.Follower follower : followers) {
                        // every event is taken (true), so nothing piles up; the ones of the cluster are printed
                        while (follower.await(
                                        e -> {
                                            if (cluster == null || cluster.equals(e.clusterId())) {
                                                print(e);
                                            }
                                            return true;
                                        },
                                        Duration.ofMillis(100))
                                .isPresent()) {
                            // drain what has arrived before moving to the next topic
                        }
                    }
                }
            } finally {
                followers.forEach(EventStream.Follower::close);
            }
        }
        return 0;
    }

    private void print(GuardianEvent e) {
        out().println(ProgressDisplay.jsonLine(e));
    }
}
