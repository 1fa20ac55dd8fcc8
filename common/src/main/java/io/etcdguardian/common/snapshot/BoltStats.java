package io.etcdguardian.common.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Reads an etcd snapshot (a bbolt file) the way `etcdctl snapshot status` does: last key revision =
 * main revision of the last key of the "key" bucket, total keys = keys of every bucket, hash =
 * CRC-32C over bucket names, keys and values in order. {@link #revision()} is what a member restored
 * from it will report: at least 1, and never below the finished compaction (compaction removes
 * tombstones at the head). Walks the B+tree page by page through memory-mapped windows of the
 * file: a page run (a leaf with large values spans megabytes) is read in place, never copied onto
 * the heap, where runs of that size are humongous objects that a small heap cannot place.
 */
public record BoltStats(long revision, long lastKeyRevision, long totalKeys, String hash) {
    private static final int MAGIC = 0xED0CDAED;
    private static final int PAGE_HEADER = 16;
    private static final int BRANCH = 0x01;
    private static final int LEAF = 0x02;
    private static final int BUCKET_LEAF = 0x01;

    public static BoltStats read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return new Walker(channel).stats();
        }
    }

    /** One pass over the file. */
    private static final class Walker {
        /** Windows start every WINDOW bytes and reach MAX_RUN further, so every run up to MAX_RUN lies in one. */
        private static final long WINDOW = 1L << 30;

        private static final long MAX_RUN = 64L << 20;
        private final FileChannel channel;
        private final long size;
        private final java.util.Map<Long, ByteBuffer> windows = new java.util.HashMap<>();
        private final CRC32C crc = new CRC32C();
        private int pageSize = 4096;
        private long revision;
        private long finishedCompaction;
        private long keys;

        Walker(FileChannel channel) throws IOException {
            this.channel = channel;
            this.size = channel.size();
        }

        BoltStats stats() throws IOException {
            long root = rootOfNewestMeta();
            forEach(page(root), (flags, key, value) -> {
                if ((flags & BUCKET_LEAF) == 0) {
                    return; // the root holds only buckets
                }
                crc.update(key.duplicate());
                boolean revisions = isBucket(key, "key");
                boolean meta = isBucket(key, "meta");
                long bucketRoot = value.getLong(value.position());
                ByteBuffer bucketPage = bucketRoot == 0
                        ? value.slice(value.position() + 16, value.remaining() - 16)
                                .order(ByteOrder.LITTLE_ENDIAN)
                        : page(bucketRoot);
                forEach(bucketPage, (f, k, v) -> {
                    crc.update(k.duplicate());
                    if ((f & BUCKET_LEAF) == 0) {
                        crc.update(v.duplicate());
                    }
                    if (revisions && k.remaining() >= 8) {
                        revision = k.order(ByteOrder.BIG_ENDIAN).getLong(k.position());
                    }
                    if (meta && isBucket(k, "finishedCompactRev") && v.remaining() >= 8) {
                        finishedCompaction = v.order(ByteOrder.BIG_ENDIAN).getLong(v.position());
                    }
                    keys++;
                });
            });
            // etcdctl prints the hash with %x: no zero padding
            return new BoltStats(
                    Math.max(1, Math.max(revision, finishedCompaction)),
                    revision,
                    keys,
                    Long.toHexString(crc.getValue()));
        }

        private long rootOfNewestMeta() throws IOException {
            ByteBuffer first = read(0, 4096);
            if (first.getInt(PAGE_HEADER) != MAGIC) {
                throw new IOException("not a bbolt file: bad magic in meta page 0");
            }
            pageSize = first.getInt(PAGE_HEADER + 8);
            ByteBuffer second = read(pageSize, pageSize);
            ByteBuffer newest = first;
            if (second.getInt(PAGE_HEADER) == MAGIC
                    && second.getLong(PAGE_HEADER + 48) > first.getLong(PAGE_HEADER + 48)) {
                newest = second;
            }
            return newest.getLong(PAGE_HEADER + 16);
        }

        private ByteBuffer page(long pgid) throws IOException {
            ByteBuffer header = read(pgid * pageSize, PAGE_HEADER);
            int overflow = header.getInt(12);
            return read(pgid * pageSize, (long) (overflow + 1) * pageSize);
        }

        private ByteBuffer read(long offset, long length) throws IOException {
            if (length > Integer.MAX_VALUE) {
                throw new IOException("page run of " + length + " bytes is too large");
            }
            if (offset < 0 || offset + length > size) {
                throw new IOException("bbolt file ends inside page at offset " + offset);
            }
            if (length <= MAX_RUN) {
                long start = offset / WINDOW * WINDOW;
                ByteBuffer window = windows.get(start);
                if (window == null) {
                    window =
                            channel.map(FileChannel.MapMode.READ_ONLY, start, Math.min(WINDOW + MAX_RUN, size - start));
                    windows.put(start, window);
                }
                return window.slice((int) (offset - start), (int) length).order(ByteOrder.LITTLE_ENDIAN);
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, offset + buffer.position()) < 0) {
                    throw new IOException("bbolt file ends inside page at offset " + offset);
                }
            }
            return buffer.flip();
        }

        /** In-order walk of the tree rooted at {@code page}: leaves' elements, branches' children. */
        private void forEach(ByteBuffer page, Visitor visitor) throws IOException {
            int base = page.position();
            int flags = page.getShort(base + 8) & 0xffff;
            int count = page.getShort(base + 10) & 0xffff;
            for (int i = 0; i < count; i++) {
                int element = base + PAGE_HEADER + i * 16;
                if ((flags & BRANCH) != 0) {
                    forEach(page(page.getLong(element + 8)), visitor);
                } else if ((flags & LEAF) != 0) {
                    int elementFlags = page.getInt(element);
                    int pos = page.getInt(element + 4);
                    int keySize = page.getInt(element + 8);
                    int valueSize = page.getInt(element + 12);
                    ByteBuffer key = page.slice(element + pos, keySize).order(ByteOrder.LITTLE_ENDIAN);
                    ByteBuffer value =
                            page.slice(element + pos + keySize, valueSize).order(ByteOrder.LITTLE_ENDIAN);
                    visitor.visit(elementFlags, key, value);
                } else {
                    throw new IOException("unexpected page flags " + flags);
                }
            }
        }

        private static boolean isBucket(ByteBuffer name, String expected) {
            return name.remaining() == expected.length()
                    && java.nio.charset.StandardCharsets.US_ASCII
                            .decode(name.duplicate())
                            .toString()
                            .equals(expected);
        }
    }

    @FunctionalInterface
    private interface Visitor {
        void visit(int flags, ByteBuffer key, ByteBuffer value) throws IOException;
    }
}
