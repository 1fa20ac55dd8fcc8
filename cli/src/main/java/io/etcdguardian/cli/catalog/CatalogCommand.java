package io.etcdguardian.cli.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.ServiceUrls;
import io.etcdguardian.common.event.EventJson;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The fleet catalogue ({@code guardian.catalog}) that {@code status} reads: {@code rebuild} writes it
 * again from the truth — every cluster's manifests in the store and the operations journal — after
 * the topic was lost, or to prove it equals them. Exit 1 when a cluster's store could not be read.
 */
@Command(
        name = "catalog",
        mixinStandardHelpOptions = true,
        description = "The fleet catalogue that status reads.",
        subcommands = {CatalogCommand.RebuildCommand.class})
public final class CatalogCommand {

    @Command(
            name = "rebuild",
            mixinStandardHelpOptions = true,
            description = "Rebuild the fleet catalogue from the manifests in the store and the operations journal.")
    static final class RebuildCommand implements Callable<Integer> {
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

        @Override
        public Integer call() throws Exception {
            // a thousand clusters' manifests are listed: minutes, not the 30 s of a quick call
            String body = ServiceUrls.call(
                    "POST",
                    urls.snapshotService(backplane.state()).resolve("/catalog/rebuild"),
                    Duration.ofMinutes(30));
            JsonNode rebuilt = EventJson.MAPPER.readTree(body);
            if ("json".equals(output)) {
                spec.commandLine().getOut().println(body);
            } else {
                spec.commandLine()
                        .getOut()
                        .printf(
                                "catalogue rebuilt: %d clusters, %d snapshots, %d operations, %d journals; forgotten %s;"
                                        + " failed %s%n",
                                rebuilt.path("clusters").asInt(),
                                rebuilt.path("snapshots").asInt(),
                                rebuilt.path("operations").asInt(),
                                rebuilt.path("journals").asInt(),
                                rebuilt.path("forgotten"),
                                rebuilt.path("failed"));
            }
            return rebuilt.path("failed").isEmpty() ? 0 : 1;
        }
    }
}
