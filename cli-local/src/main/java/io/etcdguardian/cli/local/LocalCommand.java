package io.etcdguardian.cli.local;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.TopicSpec;
import io.etcdguardian.common.kafka.TopicAccess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `guardianctl local …`: the whole system on this machine, on real etcd, Kafka and S3Proxy. */
@Command(
        name = "local",
        mixinStandardHelpOptions = true,
        description = "Run etcd-guardian locally: a 3-member etcd, Kafka (KRaft), S3Proxy and the four services.",
        subcommands = {LocalCommand.Up.class, LocalCommand.Down.class, LocalCommand.Status.class, Quickstart.class})
public final class LocalCommand {

    /** Options every local command shares. */
    static class StateOption {
        @Option(
                names = "--state",
                defaultValue = "${GUARDIAN_LOCAL_STATE:-.guardian-local}",
                description = "State directory: data, logs, PIDs (default: ${DEFAULT-VALUE}).")
        Path state;

        @Option(
                names = "--home",
                defaultValue = "${GUARDIAN_HOME:-.}",
                description = "The etcd-guardian checkout whose service jars to run (default: ${DEFAULT-VALUE}).")
        Path home;

        @Option(
                names = "--secure-kafka",
                defaultValue = "${GUARDIAN_LOCAL_SECURE_KAFKA:-false}",
                description = "A broker reached only over TLS (SASL_SSL with SCRAM-SHA-512, or mutual TLS), one Kafka"
                        + " user per service and for guardianctl, each allowed only its ACLs. Chosen when the state"
                        + " directory is first created (default: ${DEFAULT-VALUE}).")
        boolean secureKafka;
    }

    /** Brings everything up (idempotent) and returns the running stack. */
    static LocalStack up(StateOption options, boolean services) {
        Backplane.Options wanted =
                options.secureKafka ? Backplane.Options.defaults().withSecureKafka() : Backplane.Options.defaults();
        Backplane backplane = Backplane.startOrReuse(options.state, wanted, TopicSpec.ofContract(), TopicAccess.acls());
        Path fleet = LocalFleet.write(backplane);
        Map<String, Integer> ports = Map.of();
        LocalServices localServices = new LocalServices(backplane.stateDir(), options.home.toAbsolutePath());
        if (services) {
            ports = localServices.start(
                    Map.of(
                            "KAFKA_BOOTSTRAP_SERVERS", backplane.kafka().bootstrapServers(),
                            "GUARDIAN_FLEET_FILE", fleet.toString()),
                    Duration.ofSeconds(90));
        }
        backplane.detach();
        return new LocalStack(backplane, fleet, ports);
    }

    /** What `up` started. */
    record LocalStack(Backplane backplane, Path fleet, Map<String, Integer> servicePorts) {
        void print() {
            System.out.println("etcd       " + String.join(",", backplane.etcd().endpoints()));
            System.out.println("kafka      " + backplane.kafka().bootstrapServers()
                    + (backplane.kafka().secured()
                            ? "  SASL_SSL (SCRAM-SHA-512); mTLS on "
                                    + backplane.kafka().mtlsBootstrapServers() + "; users and certificates in "
                                    + backplane.kafka().dir().resolve("security")
                            : ""));
            System.out.println("s3         " + backplane.s3().endpoint() + "  bucket " + backplane.bucket());
            System.out.println("fleet      " + fleet);
            servicePorts.forEach((name, port) -> System.out.printf("%-17s http://127.0.0.1:%d%n", name, port));
            System.out.println("state      " + backplane.stateDir() + "   (stop: guardianctl local down)");
        }
    }

    @Command(name = "up", mixinStandardHelpOptions = true, description = "Start the backplane and the services.")
    static final class Up implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        StateOption options = new StateOption();

        @Option(names = "--no-services", description = "Start only etcd, Kafka and S3Proxy.")
        boolean noServices;

        @Override
        public Integer call() {
            up(options, !noServices).print();
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = "Stop the services and the backplane.")
    static final class Down implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        StateOption options = new StateOption();

        @Override
        public Integer call() {
            new LocalServices(options.state.toAbsolutePath(), options.home).stop();
            Backplane.load(options.state).ifPresent(Backplane::stop);
            System.out.println("stopped everything under " + options.state.toAbsolutePath());
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show what runs, with PIDs and logs.")
    static final class Status implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        StateOption options = new StateOption();

        @Override
        public Integer call() {
            var backplane = Backplane.load(options.state);
            if (backplane.isEmpty()) {
                System.out.println("nothing was started under " + options.state.toAbsolutePath());
                return 1;
            }
            boolean all = true;
            for (Backplane.ComponentStatus status : backplane.get().status()) {
                all &= status.running();
                System.out.printf(
                        "%-17s %-8s %-40s %s%n",
                        status.component(),
                        status.running() ? "pid " + status.pid() : "DOWN",
                        status.address(),
                        status.log());
            }
            LocalServices services = new LocalServices(options.state.toAbsolutePath(), options.home);
            Map<String, Integer> management = services.managementPorts();
            for (var entry : services.ports().entrySet()) {
                var process = services.process(entry.getKey());
                all &= process.isAlive();
                System.out.printf(
                        "%-17s %-8s %-40s %s%n",
                        entry.getKey(),
                        process.pid().map(p -> "pid " + p).orElse("DOWN"),
                        "http://127.0.0.1:" + entry.getValue() + " (health :" + management.get(entry.getKey()) + ")",
                        process.logFile());
            }
            return all ? 0 : 1;
        }
    }
}
