package io.etcdguardian.cli.progress;

import io.etcdguardian.common.event.EventCatalog;
import io.etcdguardian.common.event.EventJson;
import io.etcdguardian.common.event.GuardianEvent;
import java.io.PrintStream;
import java.io.PrintWriter;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Model.CommandSpec;

/**
 * How a command shows long work: a progress bar on a terminal (stderr), a plain line per progress
 * event elsewhere (logs, CI), or with {@code -o json} every event as one JSON line on stdout and
 * nothing else. The services bound the rate of progress events; this only draws them.
 */
public final class ProgressDisplay implements AutoCloseable {
    /** How progress is shown. */
    public enum Mode {
        BAR,
        LINES,
        JSON
    }

    private final Mode mode;
    private final String task;
    private final PrintWriter out;
    private final PrintWriter err;
    private final PrintStream terminal;
    private ProgressBar bar;
    private boolean inBytes;

    ProgressDisplay(Mode mode, String task, PrintWriter out, PrintWriter err, PrintStream terminal) {
        this.mode = mode;
        this.task = task;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    /** Bars only where a person watches: stdin and stdout a terminal, TERM not dumb. */
    public static ProgressDisplay of(CommandSpec spec, String output, String task) {
        boolean json = "json".equals(output);
        boolean terminal = System.console() != null && !"dumb".equals(System.getenv("TERM"));
        return new ProgressDisplay(
                json ? Mode.JSON : terminal ? Mode.BAR : Mode.LINES,
                task,
                spec.commandLine().getOut(),
                spec.commandLine().getErr(),
                System.err);
    }

    public Mode mode() {
        return mode;
    }

    /** With -o json: the event as one line on stdout. */
    public void event(GuardianEvent event) {
        if (mode == Mode.JSON) {
            out.println(jsonLine(event));
        }
    }

    /** {"type": the CloudEvents type, "data": the event}: one line a script can pick by type. */
    public static String jsonLine(GuardianEvent event) {
        try {
            return "{\"type\":\"" + EventCatalog.of(event.getClass()).type() + "\",\"data\":"
                    + EventJson.MAPPER.writeValueAsString(event) + "}";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Work measured in bytes: {@code done} of {@code total}, with what the bar alone does not say. */
    public void bytes(long done, long total, String message) {
        switch (mode) {
            case BAR -> {
                if (bar == null || !inBytes) {
                    closeBar();
                    bar = new ProgressBarBuilder()
                            .setTaskName(task)
                            .setInitialMax(Math.max(1, total))
                            .setUnit(" MiB", 1 << 20)
                            .showSpeed()
                            .setStyle(ProgressBarStyle.ASCII)
                            .setUpdateIntervalMillis(250)
                            .setConsumer(new ConsoleProgressBarConsumer(terminal))
                            .build();
                    inBytes = true;
                }
                bar.maxHint(Math.max(total, done));
                bar.stepTo(done);
                bar.setExtraMessage(" " + message);
            }
            case LINES -> err.println(task + ": " + Sizes.format(done) + " of " + Sizes.format(total) + ", " + message);
            case JSON -> {}
        }
    }

    /** Work measured in steps: step {@code index} of {@code count}. */
    public void step(int index, int count, String message) {
        if (mode != Mode.BAR) {
            return; // lines: the command prints each step as a line of its own
        }
        if (bar == null || inBytes) {
            closeBar();
            bar = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setInitialMax(Math.max(1, count))
                    .hideEta()
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(terminal))
                    .build();
            inBytes = false;
        }
        bar.maxHint(count);
        bar.stepTo(index);
        bar.setExtraMessage(" " + message);
    }

    /** A line of the command's text output (not with -o json); on a terminal the bar is redrawn below it. */
    public void line(String text) {
        if (mode == Mode.JSON) {
            return;
        }
        if (bar != null) {
            terminal.print("\r\033[2K"); // the bar's line: the text takes it, the bar redraws on its next tick
            terminal.flush();
        }
        out.println(text);
        out.flush();
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void close() {
        closeBar();
    }
}
