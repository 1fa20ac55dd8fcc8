package io.etcdguardian.snapshot.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PartSinkTest {
    private static final int PART = 1024;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void cutsTheStreamIntoNumberedPartsThatAddUpToIt() throws Exception {
        byte[] data = new byte[5 * PART + 100];
        new Random(7).nextBytes(data);
        Map<Integer, byte[]> received = new ConcurrentSkipListMap<>();
        PartSink<Integer> sink = new PartSink<>(PART, 2, pool, (n, part) -> {
            byte[] copy = new byte[part.data().remaining()];
            part.data().duplicate().get(copy);
            received.put(n, copy);
            return n;
        });
        for (int off = 0; off < data.length; off += 300) { // writes that straddle parts
            sink.write(data, off, Math.min(300, data.length - off));
        }
        sink.close();
        assertThat(CompletableFuture.allOf(sink.parts().toArray(CompletableFuture[]::new)))
                .succeedsWithin(java.time.Duration.ofSeconds(10));
        assertThat(received.keySet()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(received.values()).extracting(b -> b.length).containsExactly(PART, PART, PART, PART, PART, 100);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        new TreeMap<>(received).values().forEach(joined::writeBytes);
        assertThat(joined.toByteArray()).isEqualTo(data);
        assertThat(sink.total()).isEqualTo(data.length);
    }

    @Test
    void anEmptyStreamIsOneEmptyPart() throws Exception {
        AtomicInteger lengths = new AtomicInteger(-1);
        PartSink<Integer> sink = new PartSink<>(PART, 2, pool, (n, part) -> {
            lengths.set(part.data().remaining());
            return n;
        });
        sink.close();
        sink.close(); // twice: still one part
        assertThat(sink.parts()).hasSize(1);
        sink.parts().get(0).get(10, TimeUnit.SECONDS);
        assertThat(lengths.get()).as("S3 wants at least one part").isZero();
    }

    @Test
    void aSlowStoreBlocksTheWriterAtTheInFlightLimitWithBuffersReused() throws Exception {
        Semaphore store = new Semaphore(0);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        PartSink<Integer> sink = new PartSink<>(PART, 2, pool, (n, part) -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            store.acquireUninterruptibly();
            running.decrementAndGet();
            return n;
        });
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < 20; i++) {
                    sink.write(new byte[PART], 0, PART);
                }
                sink.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .until(() -> running.get() == 2);
        assertThat(writer)
                .as("the third part waits for a slot: the writer blocks")
                .isNotDone();
        store.release(100);
        writer.get(10, TimeUnit.SECONDS);
        CompletableFuture.allOf(sink.parts().toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertThat(sink.parts()).hasSize(20);
        assertThat(most.get()).as("parts in flight at once").isEqualTo(2);
        assertThat(sink.buffers())
                .as("memory bounded by (in flight + 1) parts, buffers reused")
                .isLessThanOrEqualTo(3);
    }

    @Test
    void aPartThatFailedForGoodEndsTheUploadAtTheNextPart() throws Exception {
        PartSink<Integer> sink = new PartSink<>(PART, 4, pool, (n, part) -> {
            if (n == 1) {
                throw new IllegalStateException("store refused part 1");
            }
            return n;
        });
        sink.write(new byte[PART], 0, PART);
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .until(() -> sink.parts().get(0).isCompletedExceptionally());
        assertThatThrownBy(() -> sink.write(new byte[PART], 0, PART))
                .isInstanceOf(IOException.class)
                .hasMessage("a part upload failed")
                .hasRootCauseMessage("store refused part 1");
    }
}
