package io.etcdguardian.cli.config;

import io.etcdguardian.common.security.CallerTokens;
import io.etcdguardian.common.security.Roles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Issues a caller's token: the token goes into a file only its owner can read (for the caller —
 * guardianctl's context tokenFile, Alertmanager's credentials_file), the line with its SHA-256 to
 * stdout (for the services' tokens file / Secret). The token itself is never printed.
 */
@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        description = "Issue bearer tokens for the services' HTTP APIs.",
        subcommands = TokenCommand.Create.class)
public final class TokenCommand {

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description =
                    "A new token for NAME with --roles: written to --out (mode 600); prints the tokens-file line.")
    static final class Create implements Callable<Integer> {
        @Parameters(
                index = "0",
                paramLabel = "NAME",
                description = "Who the token is for (shown in the services' logs).")
        String name;

        @Option(names = "--roles", required = true, split = ",", description = "read, operate, restore.")
        List<String> roles;

        @Option(
                names = "--out",
                required = true,
                paramLabel = "FILE",
                description = "Where the token goes (must not exist).")
        Path out;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            Set<String> asked = new LinkedHashSet<>(roles);
            if (!Roles.ALL.containsAll(asked) || !name.matches("[A-Za-z0-9._@-]{1,64}")) {
                throw new IllegalArgumentException("roles must be among read, operate, restore and NAME a word of"
                        + " letters, digits and ._@- (got " + asked + ", '" + name + "')");
            }
            String[] issued = CallerTokens.issue(name, asked);
            Files.writeString(
                    Files.createFile(
                            out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                    issued[0] + "\n",
                    StandardOpenOption.WRITE);
            spec.commandLine().getOut().println(issued[1]);
            spec.commandLine()
                    .getErr()
                    .println("token for " + name + " written to " + out + "; add the line above to"
                            + " the services' tokens file (guardian.security.tokens-file)");
            return 0;
        }
    }
}
