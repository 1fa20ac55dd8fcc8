package io.etcdguardian.backplane.usage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of one process from {@code /proc/<pid>/stat}. */
public record ProcStat(double ownSeconds, double endedChildrenSeconds) {
    private static final double TICKS = 100; // USER_HZ

    public static ProcStat of(Path procDir) throws IOException {
        String stat = Files.readString(procDir.resolve("stat"));
        // the fields after the command name, which may hold spaces: utime is field 14, stime 15,
        // cutime 16, cstime 17; a child that ended (etcdctl) is only in its parent's cutime + cstime
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new ProcStat(
                (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS,
                (Long.parseLong(f[13]) + Long.parseLong(f[14])) / TICKS);
    }

    public static ProcStat of(long pid) {
        try {
            return of(Path.of("/proc", String.valueOf(pid)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
