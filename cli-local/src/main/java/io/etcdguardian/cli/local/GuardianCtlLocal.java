package io.etcdguardian.cli.local;

import io.etcdguardian.cli.GuardianCtl;
import picocli.CommandLine;

/**
 * guardianctl with {@code local …} added: what {@code ./guardian} runs. Its own artifact, because the
 * backplane it needs starts processes and may install Debian's etcd — nothing a guardianctl shipped to
 * operators should carry.
 */
public final class GuardianCtlLocal {
    private GuardianCtlLocal() {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return GuardianCtl.commandLine().addSubcommand(new LocalCommand());
    }
}
