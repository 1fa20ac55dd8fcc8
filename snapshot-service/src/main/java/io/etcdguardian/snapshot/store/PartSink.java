package io.etcdguardian.snapshot.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.function.BiFunction;

/**
 * Cuts the stored stream into parts and hands each to an uploader on a pool, with at most {@code
 * inFlight} parts in memory at once: when the store is slow, writing here blocks (the spool, not
 * etcd, absorbs it). Memory is bounded by (inFlight + 1) × part size, in direct buffers that are
 * reused: off the heap, so that part-sized (humongous) arrays neither fragment a small heap into an
 * OutOfMemoryError nor keep its collector busy.
 */
final class PartSink<T> extends OutputStream {
    private final int partSize;
    private final Semaphore permits;
    private final ExecutorService pool;
    private final BiFunction<Integer, Part, T> uploader;
    private final List<CompletableFuture<T>> parts = new ArrayList<>();
    private final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> free =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private ByteBuffer buffer;
    private int allocated = 1;
    private long total;
    private boolean closed;

    /** A part's bytes (position to limit, read-only); valid only until the uploader returns. */
    record Part(ByteBuffer data) {}

    PartSink(int partSize, int inFlight, ExecutorService pool, BiFunction<Integer, Part, T> uploader) {
        this.partSize = partSize;
        this.permits = new Semaphore(inFlight);
        this.pool = pool;
        this.uploader = uploader;
        this.buffer = ByteBuffer.allocateDirect(partSize);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, buffer.remaining());
            buffer.put(b, off, n);
            off += n;
            len -= n;
            total += n;
            if (!buffer.hasRemaining()) {
                ship(buffer);
                ByteBuffer reused = free.poll();
                buffer = reused != null ? reused.clear() : allocate();
            }
        }
    }

    /** Ships the last part (S3 wants at least one, even if empty). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (buffer.position() > 0 || parts.isEmpty()) {
            ship(buffer);
        }
        buffer = null;
    }

    private ByteBuffer allocate() {
        allocated++;
        return ByteBuffer.allocateDirect(partSize);
    }

    /** Part buffers allocated so far: at most in flight + 1, whatever the stream's length. */
    int buffers() {
        return allocated;
    }

    long total() {
        return total;
    }

    List<CompletableFuture<T>> parts() {
        return parts;
    }

    private void ship(ByteBuffer part) throws IOException {
        failFast();
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for an upload slot");
        }
        int number = parts.size() + 1;
        ByteBuffer data = part.duplicate().flip().asReadOnlyBuffer();
        parts.add(CompletableFuture.supplyAsync(() -> uploader.apply(number, new Part(data)), pool)
                .whenComplete((r, e) -> {
                    free.offer(part);
                    permits.release();
                }));
    }

    /** A part that failed for good ends the upload now rather than after the whole stream. */
    private void failFast() throws IOException {
        for (CompletableFuture<T> part : parts) {
            if (part.isCompletedExceptionally()) {
                try {
                    part.join();
                } catch (RuntimeException e) {
                    throw new IOException("a part upload failed", e.getCause() == null ? e : e.getCause());
                }
            }
        }
    }
}
