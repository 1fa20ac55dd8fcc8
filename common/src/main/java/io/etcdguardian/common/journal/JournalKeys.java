package io.etcdguardian.common.journal;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.snapshot.SnapshotKeys;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster's journal, per {@link JournalEpoch}: {@code <cluster>/journal/<epoch>/<from>-<to>.json} (a
 * segment's manifest, written last: it commits the segment), {@code .../<epoch>/data/<from>-<to>.seg.zst[.enc]}
 * (its events) and {@code .../<epoch>/gaps/<from>-<to>.json} (revisions no segment will ever hold); the
 * epochs after the first are marked by {@code <cluster>/journal/epochs/<epoch>.json}. Revisions are
 * zero-padded to 20 digits, so a listing sorts by revision and {@code <epoch>/0} lists manifests only.
 */
public final class JournalKeys {
    private static final Pattern RANGE = Pattern.compile("(\\d{20})-(\\d{20})\\.json$");
    private static final Pattern DATA_RANGE = Pattern.compile("/data/(\\d{20})-(\\d{20})\\.seg\\.zst(\\.enc)?$");

    private JournalKeys() {}

    /** An inclusive range of revisions. */
    public record Range(long from, long to) implements Comparable<Range> {
        public Range {
            if (from < 1 || to < from) {
                throw new IllegalArgumentException("not a revision range: " + from + "-" + to);
            }
        }

        public boolean contains(long revision) {
            return revision >= from && revision <= to;
        }

        String name() {
            return String.format("%020d-%020d", from, to);
        }

        @Override
        public int compareTo(Range o) {
            return from != o.from ? Long.compare(from, o.from) : Long.compare(to, o.to);
        }

        @Override
        public String toString() {
            return from + "-" + to;
        }
    }

    public static String prefix(ClusterSpec cluster) {
        return SnapshotKeys.clusterPrefix(cluster) + "journal/";
    }

    public static String epochsPrefix(ClusterSpec cluster) {
        return prefix(cluster) + "epochs/";
    }

    public static String epochMarker(ClusterSpec cluster, JournalEpoch epoch) {
        return epochsPrefix(cluster) + epoch.name() + ".json";
    }

    private static String epochPrefix(ClusterSpec cluster, JournalEpoch epoch) {
        return prefix(cluster) + epoch.name() + "/";
    }

    /** Lists the epoch's segment manifests and nothing else. */
    public static String manifestsPrefix(ClusterSpec cluster, JournalEpoch epoch) {
        return epochPrefix(cluster, epoch) + "0";
    }

    public static String manifest(ClusterSpec cluster, JournalEpoch epoch, Range range) {
        return epochPrefix(cluster, epoch) + range.name() + ".json";
    }

    public static String dataPrefix(ClusterSpec cluster, JournalEpoch epoch) {
        return epochPrefix(cluster, epoch) + "data/";
    }

    public static String data(ClusterSpec cluster, JournalEpoch epoch, Range range, boolean encrypted) {
        return epochPrefix(cluster, epoch) + "data/" + range.name() + ".seg.zst" + (encrypted ? ".enc" : "");
    }

    /** The last manifest key a segment starting at or before {@code revision} can have. */
    public static String manifestsUpTo(ClusterSpec cluster, JournalEpoch epoch, long revision) {
        return epochPrefix(cluster, epoch) + upTo(revision);
    }

    /** The same for segment data. */
    public static String dataUpTo(ClusterSpec cluster, JournalEpoch epoch, long revision) {
        return dataPrefix(cluster, epoch) + upTo(revision);
    }

    /** The same for gaps. */
    public static String gapsUpTo(ClusterSpec cluster, JournalEpoch epoch, long revision) {
        return gapsPrefix(cluster, epoch) + upTo(revision);
    }

    /** Sorts after every {@code <from>-<to>...} name with this {@code from} ('~' after any digit). */
    private static String upTo(long revision) {
        return String.format("%020d-~", revision);
    }

    public static String gapsPrefix(ClusterSpec cluster, JournalEpoch epoch) {
        return epochPrefix(cluster, epoch) + "gaps/";
    }

    public static String gap(ClusterSpec cluster, JournalEpoch epoch, Range range) {
        return gapsPrefix(cluster, epoch) + range.name() + ".json";
    }

    /** The range a manifest or gap key names; empty for any other key. */
    public static Optional<Range> rangeOf(String key) {
        Matcher m = RANGE.matcher(key);
        return m.find()
                ? Optional.of(new Range(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))))
                : Optional.empty();
    }

    /** The range a segment's data key names; empty for any other key. */
    public static Optional<Range> rangeOfData(String key) {
        Matcher m = DATA_RANGE.matcher(key);
        return m.find()
                ? Optional.of(new Range(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))))
                : Optional.empty();
    }

    /** What the encryption of a segment is bound to (beside the cluster id). */
    static String encryptionContext(String epoch, Range range) {
        return "journal-" + epoch + "-" + range.name();
    }
}
