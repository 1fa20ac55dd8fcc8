package io.etcdguardian.cli.restore;

import io.etcdguardian.cli.options.BackplaneOption;
import io.etcdguardian.cli.options.IdArgs;
import io.etcdguardian.cli.options.ServiceUrls;
import io.etcdguardian.common.event.EventJson;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The short-lived URL of the snapshot staged for a handed-over restore, alone on stdout, for the
 * host commands' {@code curl -o FILE "$(guardianctl restore-url C ID)"}: the host never holds store
 * credentials, and the URL (a bearer credential) is printed only to whoever asked, with role restore.
 */
@Command(
        name = "restore-url",
        mixinStandardHelpOptions = true,
        description = "Print a fresh short-lived URL of the snapshot staged for a handed-over restore (role restore).")
public final class RestoreUrlCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", converter = IdArgs.Cluster.class, description = "Cluster id.")
    String cluster;

    @Parameters(index = "1", converter = IdArgs.Id.class, description = "Restore id (printed with the hand-over).")
    String restore;

    @Mixin
    ServiceUrls urls = new ServiceUrls();

    @Mixin
    BackplaneOption backplane = new BackplaneOption();

    @Override
    public Integer call() throws Exception {
        String body = ServiceUrls.call(
                "GET",
                urls.restoreService(backplane.state())
                        .resolve("/restores/" + cluster + "/" + restore + "/snapshot-url"));
        spec.commandLine()
                .getOut()
                .println(EventJson.MAPPER.readTree(body).path("url").asText());
        return 0;
    }
}
