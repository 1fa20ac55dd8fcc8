package io.etcdguardian.localetcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A process of the backplane: started with its output in a log file and its PID in a file, so that a
 * later command (another JVM) can find it, ask whether it lives and stop it.
 */
public final class ChildProcess {
    private final String name;
    private final Path pidFile;
    private final Path logFile;

    public ChildProcess(String name, Path dir) {
        this.name = name;
        this.pidFile = dir.resolve(name + ".pid");
        this.logFile = dir.resolve(name + ".log");
    }

    public String name() {
        return name;
    }

    public Path logFile() {
        return logFile;
    }

    public long start(List<String> command, Path workDir) {
        return start(command, workDir, java.util.Map.of());
    }

    public long start(List<String> command, Path workDir, java.util.Map<String, String> env) {
        try {
            Files.createDirectories(pidFile.getParent());
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(env);
            Process process = builder.directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            Files.writeString(pidFile, Long.toString(process.pid()));
            ChildReaper.register(process.toHandle());
            return process.pid();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + ")", e);
        }
    }

    /** Records {@code running} as this process (its PID file), as if this had started it. */
    public void adopt(ProcessHandle running) {
        try {
            Files.createDirectories(pidFile.getParent());
            Files.writeString(pidFile, Long.toString(running.pid()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record " + name + " (pid " + running.pid() + ")", e);
        }
    }

    /** Runs a command to completion (e.g. formatting storage) and fails with its output when it fails. */
    public static void runToCompletion(List<String> command, Path workDir, Path log, Duration timeout) {
        try {
            Process process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish within " + timeout + "; see " + log);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command.subList(0, Math.min(4, command.size())))
                        + " failed with exit code " + process.exitValue() + "; see " + log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public Optional<ProcessHandle> handle() {
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    public boolean isAlive() {
        return handle().isPresent();
    }

    public Optional<Long> pid() {
        return handle().map(ProcessHandle::pid);
    }

    /** Terminates politely, then forcibly, and waits until the PID is gone (a reused port needs that). */
    public void stop(Duration grace) {
        handle().ifPresent(process -> {
            process.destroy();
            try {
                process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception politeFailed) {
                process.destroyForcibly();
                try {
                    process.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(name + " (pid " + process.pid() + ") did not exit", e);
                }
            }
        });
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ends a process at once, as a crash would (SIGKILL). */
    public void kill() {
        handle().ifPresent(process -> {
            process.destroyForcibly();
            process.onExit().join();
        });
    }
}
