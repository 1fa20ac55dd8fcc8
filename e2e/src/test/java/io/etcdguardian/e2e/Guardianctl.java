package io.etcdguardian.e2e;

import io.etcdguardian.cli.GuardianCtl;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.stream.Stream;

/** guardianctl run in this JVM as an operator runs it; what it printed goes to the test's report too. */
final class Guardianctl {
    private Guardianctl() {}

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        return run(GuardianCtl.commandLine(), args);
    }

    /** {@code cmd}: guardianctl's command line, or guardianctl-local's. */
    static Run run(picocli.CommandLine cmd, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        System.out.println("$ guardianctl " + String.join(" ", args) + "  # exit " + exit + "\n" + out + err);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Pointed at the local backplane whose state is in {@code state}. */
    static Run inState(Path state, String... args) {
        return run(Stream.concat(Stream.of(args), Stream.of("--state", state.toString()))
                .toArray(String[]::new));
    }
}
