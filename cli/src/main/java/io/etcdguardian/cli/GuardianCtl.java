package io.etcdguardian.cli;

import io.etcdguardian.cli.backup.BackupCommand;
import io.etcdguardian.cli.defrag.DefragCommand;
import io.etcdguardian.cli.events.EventsCommand;
import io.etcdguardian.cli.local.LocalCommand;
import io.etcdguardian.cli.restore.RestoreCommand;
import io.etcdguardian.cli.snapshots.SnapshotsCommand;
import io.etcdguardian.cli.status.StatusCommand;
import io.etcdguardian.cli.verify.VerifyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** guardianctl: operate etcd-guardian from a shell or a script. */
@Command(name = "guardianctl", mixinStandardHelpOptions = true, version = "guardianctl 0.1.0",
        description = "Back up, verify, restore and maintain etcd clusters through etcd-guardian.",
        subcommands = {LocalCommand.class, BackupCommand.class, SnapshotsCommand.class, RestoreCommand.class,
                VerifyCommand.class, DefragCommand.class, EventsCommand.class, StatusCommand.class, CommandLine.HelpCommand.class})
public final class GuardianCtl {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new GuardianCtl())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("error: " + e.getMessage());
                    return 1;
                });
    }
}
