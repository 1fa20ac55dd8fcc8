package io.etcdguardian.restore.procedure;

import io.etcdguardian.localetcd.EtcdCluster;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real snapshot to restore from, for tests that run a restore procedure's commands themselves. */
public final class OneMemberSnapshot {
    private OneMemberSnapshot() {}

    /**
     * Starts a one-member etcd under {@code dir}, writes {@code <prefix>/key-0..19 = value-0..19}, saves
     * a snapshot to {@code file}, stops it; returns the snapshot's revision.
     */
    public static long save(Path dir, String prefix, Path file) {
        EtcdCluster source = EtcdCluster.plan(dir, 1, 0).start();
        try {
            for (int i = 0; i < 20; i++) {
                source.etcdctl("put", prefix + "/key-" + i, "value-" + i);
            }
            source.etcdctl("snapshot", "save", file.toString());
            Matcher rev =
                    Pattern.compile("\"revision\":(\\d+)").matcher(source.etcdctl("endpoint", "status", "-w", "json"));
            return rev.find() ? Long.parseLong(rev.group(1)) : -1;
        } finally {
            source.stop();
        }
    }
}
