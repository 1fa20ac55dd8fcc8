package io.etcdguardian.cli.config;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** guardianctl's contexts, as {@code kubectl config} manages kubeconfig's. */
@Command(
        name = "config",
        mixinStandardHelpOptions = true,
        description = "Named contexts (Kafka and its security settings, service URLs, fleet file) in"
                + " ~/.config/guardian/config.yaml ($GUARDIAN_CONFIG).",
        subcommands = {
            ConfigCommand.View.class,
            ConfigCommand.GetContexts.class,
            ConfigCommand.CurrentContext.class,
            ConfigCommand.UseContext.class,
            ConfigCommand.SetContext.class,
            ConfigCommand.DeleteContext.class
        })
public final class ConfigCommand {

    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        static Path file() {
            return GuardianConfig.location();
        }

        static GuardianConfig config() {
            return GuardianConfig.load(file());
        }
    }

    @Command(name = "view", mixinStandardHelpOptions = true, description = "Print the config file.")
    static final class View extends Base {
        @Override
        public Integer call() throws Exception {
            out().print(GuardianConfig.YAML.writeValueAsString(config()));
            out().flush();
            return 0;
        }
    }

    @Command(
            name = "get-contexts",
            mixinStandardHelpOptions = true,
            description = "List the contexts; * marks the current one.")
    static final class GetContexts extends Base {
        @Override
        public Integer call() {
            GuardianConfig config = config();
            out().printf("%-7s %-20s %-32s %s%n", "CURRENT", "NAME", "KAFKA", "SNAPSHOT-SERVICE");
            for (GuardianConfig.Context c : config.contexts()) {
                out().printf(
                                "%-7s %-20s %-32s %s%n",
                                c.name().equals(config.currentContext()) ? "*" : "",
                                c.name(),
                                c.kafka() == null ? "-" : c.kafka().bootstrapServers(),
                                c.snapshotUrl() == null ? "-" : c.snapshotUrl());
            }
            return 0;
        }
    }

    @Command(
            name = "current-context",
            mixinStandardHelpOptions = true,
            description = "Print the current context's name.")
    static final class CurrentContext extends Base {
        @Override
        public Integer call() {
            String current = config().currentContext();
            if (current == null) {
                spec.commandLine().getErr().println("no current context in " + file());
                return 1;
            }
            out().println(current);
            return 0;
        }
    }

    @Command(name = "use-context", mixinStandardHelpOptions = true, description = "Make a context the current one.")
    static final class UseContext extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            config().using(name).save(file());
            out().println("switched to context \"" + name + "\"");
            return 0;
        }
    }

    @Command(
            name = "set-context",
            mixinStandardHelpOptions = true,
            description = "Create a context, or change the settings given of an existing one.")
    static final class SetContext extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers.")
        String bootstrap;

        @Option(
                names = "--kafka-property",
                paramLabel = "KEY=VALUE",
                description = "A Kafka client setting"
                        + " (security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512, …); repeatable. Keep passwords in"
                        + " --kafka-properties-file.")
        Map<String, String> kafkaProperties;

        @Option(
                names = "--kafka-properties-file",
                paramLabel = "FILE",
                description = "Kafka client properties file"
                        + " (sasl.jaas.config, ssl.*.password): named here, read at use, never copied into the config.")
        String kafkaPropertiesFile;

        @Option(names = "--snapshot-url", description = "snapshot-service base URL.")
        String snapshotUrl;

        @Option(names = "--restore-url", description = "restore-service base URL.")
        String restoreUrl;

        @Option(names = "--fleet-file", description = "The fleet file of this context.")
        String fleetFile;

        @Option(
                names = "--token-file",
                paramLabel = "FILE",
                description = "File holding the bearer token the"
                        + " services know this caller by (guardianctl token create); named here, never copied in.")
        String tokenFile;

        @Option(names = "--use", description = "Also make it the current context.")
        boolean use;

        @Override
        public Integer call() {
            List<String> secrets = kafkaProperties == null
                    ? List.of()
                    : kafkaProperties.keySet().stream()
                            .filter(k -> k.contains("password") || k.equals("sasl.jaas.config"))
                            .toList();
            if (!secrets.isEmpty()) {
                throw new IllegalArgumentException(secrets + " would put a secret into " + file()
                        + ": put it in a file only you can read and name it with --kafka-properties-file");
            }
            GuardianConfig config = config();
            GuardianConfig.Context old =
                    config.context(name).orElse(new GuardianConfig.Context(name, null, null, null, null, null));
            GuardianConfig.Kafka oldKafka =
                    old.kafka() == null ? new GuardianConfig.Kafka(null, null, null) : old.kafka();
            Map<String, String> props =
                    new LinkedHashMap<>(oldKafka.properties() == null ? Map.of() : oldKafka.properties());
            if (kafkaProperties != null) {
                props.putAll(kafkaProperties);
            }
            GuardianConfig.Kafka kafka = new GuardianConfig.Kafka(
                    bootstrap != null ? bootstrap : oldKafka.bootstrapServers(),
                    props.isEmpty() ? null : props,
                    kafkaPropertiesFile != null ? kafkaPropertiesFile : oldKafka.propertiesFile());
            GuardianConfig.Context context = new GuardianConfig.Context(
                    name,
                    kafka.bootstrapServers() == null && kafka.properties() == null && kafka.propertiesFile() == null
                            ? null
                            : kafka,
                    snapshotUrl != null ? snapshotUrl : old.snapshotUrl(),
                    restoreUrl != null ? restoreUrl : old.restoreUrl(),
                    fleetFile != null ? fleetFile : old.fleetFile(),
                    tokenFile != null ? tokenFile : old.tokenFile());
            GuardianConfig changed = config.with(context);
            if (use || changed.currentContext() == null) {
                changed = changed.using(name);
            }
            changed.save(file());
            out().println("context \"" + name + "\" " + (config.context(name).isPresent() ? "modified" : "created")
                    + (name.equals(changed.currentContext()) ? " (current)" : ""));
            return 0;
        }
    }

    @Command(name = "delete-context", mixinStandardHelpOptions = true, description = "Remove a context.")
    static final class DeleteContext extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            GuardianConfig config = config();
            if (config.context(name).isEmpty()) {
                throw new IllegalArgumentException("no context '" + name + "' in " + file());
            }
            new GuardianConfig(
                            name.equals(config.currentContext()) ? null : config.currentContext(),
                            config.contexts().stream()
                                    .filter(c -> !c.name().equals(name))
                                    .toList())
                    .save(file());
            out().println("deleted context \"" + name + "\"");
            return 0;
        }
    }
}
