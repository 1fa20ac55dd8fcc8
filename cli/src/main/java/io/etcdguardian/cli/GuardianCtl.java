package io.etcdguardian.cli;

import io.etcdguardian.cli.backup.BackupCommand;
import io.etcdguardian.cli.config.ConfigCommand;
import io.etcdguardian.cli.config.ContextSelection;
import io.etcdguardian.cli.config.TokenCommand;
import io.etcdguardian.cli.defrag.DefragCommand;
import io.etcdguardian.cli.events.EventsCommand;
import io.etcdguardian.cli.options.ServiceUrls;
import io.etcdguardian.cli.restore.RestoreCommand;
import io.etcdguardian.cli.snapshots.SnapshotsCommand;
import io.etcdguardian.cli.status.StatusCommand;
import io.etcdguardian.cli.verify.VerifyCommand;
import io.etcdguardian.cli.wait.NoAnswer;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * guardianctl: operate etcd-guardian from a shell or a script. Exit codes: 0 done (or OK), 1 failed,
 * refused or not OK, 2 a usage error, 3 no answer — a deadline passed, or a service or Kafka does
 * not answer.
 */
@Command(
        name = "guardianctl",
        mixinStandardHelpOptions = true,
        version = "guardianctl 0.1.0",
        description = "Back up, verify, restore and maintain etcd clusters through etcd-guardian.",
        subcommands = {
            BackupCommand.class,
            SnapshotsCommand.class,
            RestoreCommand.class,
            io.etcdguardian.cli.restore.RestoreUrlCommand.class,
            VerifyCommand.class,
            DefragCommand.class,
            EventsCommand.class,
            StatusCommand.class,
            io.etcdguardian.cli.catalog.CatalogCommand.class,
            ConfigCommand.class,
            TokenCommand.class,
            AutoComplete.GenerateCompletion.class,
            CommandLine.HelpCommand.class
        })
public final class GuardianCtl {

    @Option(
            names = "--context",
            scope = ScopeType.INHERIT,
            paramLabel = "NAME",
            description = "The context of"
                    + " guardianctl's config to use (default: $GUARDIAN_CONTEXT, else the current one).")
    void context(String name) {
        ContextSelection.select(name);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        ContextSelection.select(null); // one invocation's --context is not the next one's (tests run many in one JVM)
        ServiceUrls.forgetToken();
        return new CommandLine(new GuardianCtl()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof NoAnswer || (e instanceof GuardianException g && g.reason() == Reason.KAFKA_UNAVAILABLE)) {
                cmd.getErr().println("no answer: " + e.getMessage()); // nothing to wait for: say so, exit 3
                return NoAnswer.EXIT_CODE;
            }
            if (e instanceof IllegalArgumentException || e instanceof CommandLine.TypeConversionException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2; // as picocli's own usage errors
            }
            cmd.getErr().println("error: " + e.getMessage());
            return 1;
        });
    }
}
