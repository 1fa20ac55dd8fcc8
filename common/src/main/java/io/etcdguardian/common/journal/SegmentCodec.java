package io.etcdguardian.common.journal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A segment's plain bytes: a magic, then per revision its number, arrival (epoch ms) and events, each
 * length-prefixed. Ours alone, so it is versioned by the magic; a value is any size etcd accepted.
 */
final class SegmentCodec {
    private static final int MAGIC = 0x45474a31; // "EGJ1"
    private static final int MAX_FIELD = 256 << 20; // far above any etcd request limit

    private SegmentCodec() {}

    static byte[] encode(List<JournalRevision> revisions) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(
                Integer.MAX_VALUE - 8,
                revisions.stream().mapToLong(JournalRevision::weight).sum() + 8));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(revisions.size());
            for (JournalRevision revision : revisions) {
                out.writeLong(revision.revision());
                out.writeLong(revision.arrival().toEpochMilli());
                out.writeInt(revision.events().size());
                for (JournalEvent e : revision.events()) {
                    out.writeBoolean(e.delete());
                    writeBytes(out, e.key());
                    writeBytes(out, e.value());
                    out.writeLong(e.createRevision());
                    out.writeLong(e.modRevision());
                    out.writeLong(e.version());
                    out.writeLong(e.lease());
                    out.writeLong(e.leaseTtl());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The revisions of a segment; an {@link IOException} when its bytes are not one (truncated, another format). */
    static List<JournalRevision> decode(InputStream plain) throws IOException {
        DataInputStream in = new DataInputStream(plain);
        if (in.readInt() != MAGIC) {
            throw new IOException("not a journal segment (magic)");
        }
        int count = in.readInt();
        List<JournalRevision> revisions = new ArrayList<>(Math.min(count, 1 << 16));
        for (int i = 0; i < count; i++) {
            long revision = in.readLong();
            Instant arrival = Instant.ofEpochMilli(in.readLong());
            int events = in.readInt();
            List<JournalEvent> list = new ArrayList<>(Math.min(events, 1 << 16));
            for (int j = 0; j < events; j++) {
                boolean delete = in.readBoolean();
                byte[] key = readBytes(in);
                byte[] value = readBytes(in);
                list.add(new JournalEvent(
                        delete, key, value, in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong()));
            }
            revisions.add(new JournalRevision(revision, arrival, list));
        }
        if (in.read() != -1) {
            throw new IOException("bytes after the segment's last revision");
        }
        return revisions;
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_FIELD) {
            throw new IOException("field length " + length + " out of range");
        }
        byte[] bytes = new byte[length];
        try {
            in.readFully(bytes);
        } catch (EOFException e) {
            throw new IOException("truncated segment", e);
        }
        return bytes;
    }
}
