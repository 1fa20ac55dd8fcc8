package io.etcdguardian.snapshot.capture;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A local file the capture writes at full speed while the upload reads behind it: the upload
 * {@link #tail() tails} the file and waits for bytes that are not written yet, so a slow store never
 * slows the stream etcd sends (and never keeps its read transaction open longer).
 */
public final class Spool implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition grown = lock.newCondition();
    private long written;
    private final java.util.concurrent.atomic.AtomicLong tailed = new java.util.concurrent.atomic.AtomicLong();
    private boolean finished;
    private IOException failure;

    public Spool(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        this.file = file;
        this.channel = FileChannel.open(
                file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
    }

    public Path file() {
        return file;
    }

    public long written() {
        lock.lock();
        try {
            return written;
        } finally {
            lock.unlock();
        }
    }

    /** The furthest any reader has read: what the upload has taken so far. */
    public long tailed() {
        return tailed.get();
    }

    /** Where the capture writes; not thread-safe, one writer. */
    public OutputStream output() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                Spool.this.write(ByteBuffer.wrap(b, off, len));
            }
        };
    }

    /** Appends the buffer's remaining bytes (consumed); the same single writer as {@link #output()}. */
    public void write(ByteBuffer buffer) throws IOException {
        long position = written();
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
        lock.lock();
        try {
            written = position;
            grown.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** No more bytes will come. */
    public void finish() {
        lock.lock();
        try {
            finished = true;
            grown.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The capture failed: readers stop with this error. */
    public void fail(IOException error) {
        lock.lock();
        try {
            failure = error;
            finished = true;
            grown.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Reads the spool from the start, waiting for bytes as they are written, until it is finished. */
    public InputStream tail() {
        return new InputStream() {
            private long position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                long available = awaitBeyond(position);
                if (available < 0) {
                    return -1;
                }
                int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, available - position)), position);
                position += n;
                long reached = position;
                tailed.accumulateAndGet(reached, Math::max);
                return n;
            }
        };
    }

    private long awaitBeyond(long position) throws IOException {
        lock.lock();
        try {
            while (written <= position && !finished) {
                grown.await();
            }
            if (failure != null) {
                throw new IOException("capture failed", failure);
            }
            return written > position ? written : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while tailing the spool");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        Files.deleteIfExists(file);
    }
}
