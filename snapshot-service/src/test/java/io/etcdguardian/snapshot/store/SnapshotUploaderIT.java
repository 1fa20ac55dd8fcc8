package io.etcdguardian.snapshot.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.backplane.Backplane;
import io.etcdguardian.backplane.BackplaneExtension;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.StoreSpec;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micronaut.context.ApplicationContext;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

/** Uploads on S3Proxy: more uploads than {@code upload-streams} wait their turn on bounded, named threads. */
@ExtendWith(BackplaneExtension.class)
class SnapshotUploaderIT {
    private static final int SIZE = 11 * 1024 * 1024; // three parts of 5 MiB

    @Test
    void moreUploadsThanStreamsTakeTurnsOnNamedThreadsCarryingTheLogContext(Backplane backplane, @TempDir Path dir)
            throws Exception {
        Path credentials = backplane.s3().writeCredentials(dir.resolve("s3.properties"));
        ClusterSpec cluster = new ClusterSpec(
                "uploader-" + UUID.randomUUID(),
                null,
                new StoreSpec(
                        backplane.bucket(),
                        null,
                        null,
                        backplane.s3().endpoint(),
                        credentials.toString(),
                        null,
                        null,
                        null,
                        null),
                null,
                null,
                null,
                null,
                null,
                null,
                null);
        try (ApplicationContext context = ApplicationContext.run(Map.of(
                "guardian.topics.create",
                "false",
                "kafka.bootstrap.servers",
                "127.0.0.1:1",
                "guardian.snapshot.upload-streams",
                "1",
                "guardian.snapshot.upload-concurrency",
                "2",
                "guardian.snapshot.part-size-bytes",
                "5242880"))) {
            SnapshotStores stores = new SnapshotStores(new S3Clients());
            SnapshotUploader uploader = new SnapshotUploader(stores, context.getBean(SnapshotSettings.class));
            AtomicInteger streaming = new AtomicInteger();
            AtomicInteger mostStreaming = new AtomicInteger();
            Set<String> threads = ConcurrentHashMap.newKeySet();
            Set<String> contexts = ConcurrentHashMap.newKeySet();
            List<SnapshotUploader.Upload> uploads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                MDC.put("cluster", cluster.id() + "-" + i);
                byte[] data = new byte[SIZE];
                new Random(i).nextBytes(data);
                InputStream source = new Watched(
                        data,
                        () -> {
                            mostStreaming.accumulateAndGet(streaming.incrementAndGet(), Math::max);
                            threads.add(Thread.currentThread().getName());
                            contexts.add(MDC.get("cluster"));
                        },
                        streaming::decrementAndGet);
                uploads.add(uploader.start(
                        cluster, cluster.id() + "/" + i + ".db", source, false, UnaryOperator.identity()));
            }
            MDC.clear();
            for (int i = 0; i < 3; i++) {
                assertThat(uploads.get(i).complete().bytes()).as("upload " + i).isEqualTo(SIZE);
                assertThat(stores.of(cluster).size(cluster.id() + "/" + i + ".db"))
                        .contains((long) SIZE);
            }
            assertThat(mostStreaming)
                    .as("upload-streams=1: one upload streams at a time")
                    .hasValue(1);
            assertThat(threads).allMatch(name -> name.startsWith("snapshot-upload-feed-"));
            assertThat(contexts)
                    .containsExactlyInAnyOrder(cluster.id() + "-0", cluster.id() + "-1", cluster.id() + "-2");
            uploader.close();
        }
    }

    /** A source that says when a thread starts and stops reading it. */
    private static final class Watched extends ByteArrayInputStream {
        private final Runnable first;
        private final Runnable end;
        private boolean started;

        Watched(byte[] data, Runnable first, Runnable end) {
            super(data);
            this.first = first;
            this.end = end;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            if (!started) {
                started = true;
                first.run();
            }
            int n = super.read(b, off, len);
            if (n < 0) {
                end.run();
            }
            return n;
        }
    }
}
