package io.etcdguardian.snapshot.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
    @TempDir
    Path dir;

    @Test
    void aReaderBehindTheWriterGetsEveryByteInOrderAndTheEnd() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(3).nextBytes(data);
        try (Spool spool = new Spool(dir.resolve("a/b/snapshot.db"))) {
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> readAll(spool.tail()));
            OutputStream out = spool.output();
            for (int off = 0; off < data.length; off += 64 * 1024) { // writes as etcd's stream comes
                out.write(data, off, Math.min(64 * 1024, data.length - off));
            }
            spool.finish();
            assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(data);
            assertThat(spool.written()).isEqualTo(data.length);
            assertThat(spool.tailed()).as("what the upload took").isEqualTo(data.length);
            assertThat(Files.readAllBytes(spool.file())).isEqualTo(data);
        }
    }

    @Test
    void aReaderWaitsForBytesNotWrittenYetInsteadOfEnding() throws Exception {
        try (Spool spool = new Spool(dir.resolve("wait.db"))) {
            InputStream tail = spool.tail();
            CountDownLatch reading = new CountDownLatch(1);
            CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> {
                reading.countDown();
                try {
                    return tail.read();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(first).as("nothing written: the reader waits").isNotDone();
            spool.output().write(42);
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(42);
            spool.finish();
            assertThat(tail.read()).as("finished: the end").isEqualTo(-1);
        }
    }

    @Test
    void aFailedCaptureReachesTheReaderAsAnError() throws Exception {
        try (Spool spool = new Spool(dir.resolve("failed.db"))) {
            spool.output().write(new byte[] {1, 2, 3});
            spool.fail(new IOException("etcd closed the stream"));
            InputStream tail = spool.tail();
            assertThatThrownBy(() -> tail.readAllBytes())
                    .isInstanceOf(IOException.class)
                    .hasMessage("capture failed")
                    .hasRootCauseMessage("etcd closed the stream");
        }
    }

    @Test
    void closingRemovesTheFileAndASecondSpoolOnTheSamePathIsRefused() throws Exception {
        Path file = dir.resolve("once.db");
        Spool spool = new Spool(file);
        assertThatThrownBy(() -> new Spool(file))
                .as("two captures never share a spool file")
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        spool.close();
        assertThat(file).doesNotExist();
    }

    private static byte[] readAll(InputStream in) {
        try (in;
                ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            byte[] buffer = new byte[10_000]; // not a divisor of the writes: reads straddle them
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
