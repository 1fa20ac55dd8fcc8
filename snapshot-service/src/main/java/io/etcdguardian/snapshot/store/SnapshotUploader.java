package io.etcdguardian.snapshot.store;

import com.github.luben.zstd.ZstdOutputStream;
import io.etcdguardian.common.digest.Sha256;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.common.store.SnapshotStore;
import io.etcdguardian.common.store.SnapshotStores;
import io.etcdguardian.common.work.WorkerPool;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads a snapshot from the spool as an S3 multipart upload: the stored bytes (compressed, then
 * encrypted) are cut into parts uploaded in parallel, each with its SHA-256 checksum and retried
 * with backoff. The upload is only completed by {@link Upload#complete()} — after the raw stream's
 * trailer checked out — and aborted otherwise, so no half object and no orphan parts stay behind.
 */
@Singleton
public class SnapshotUploader {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotUploader.class);
    private static final int COPY_BUFFER = 1 << 20;

    private final SnapshotStores stores;
    private final SnapshotSettings settings;
    private final UploadMemory memory;
    /** One thread per upload streaming (compress, encrypt, cut into parts); apart from the parts so neither starves the other. */
    private final WorkerPool feeders;
    /** The parts in flight of every upload: each upload has at most {@code upload-concurrency} of them. */
    private final WorkerPool parts;

    private final RetryConfig partRetry;
    /** Aborts the store refused (it was away): tried again until it takes them, not left to the age-based cleaner. */
    private final Queue<Upload> failedAborts = new ConcurrentLinkedQueue<>();

    public SnapshotUploader(SnapshotStores stores, SnapshotSettings settings) {
        this.stores = stores;
        this.settings = settings;
        this.memory = UploadMemory.fit(settings, Runtime.getRuntime().maxMemory());
        if (memory.partSize() != settings.partSizeBytes()
                || memory.inFlight() != settings.uploadConcurrency()
                || memory.streams() != settings.uploadStreams()) {
            LOG.info(
                    "upload buffers (direct memory) fitted to the heap's size ({} MiB): {} upload(s) streaming at"
                            + " once, {} part(s) in flight each, {} MiB parts — {} MiB at most (configured {}, {}, {}"
                            + " MiB)",
                    Runtime.getRuntime().maxMemory() >> 20,
                    memory.streams(),
                    memory.inFlight(),
                    memory.partSize() >> 20,
                    memory.bytes() >> 20,
                    settings.uploadStreams(),
                    settings.uploadConcurrency(),
                    settings.partSizeBytes() >> 20);
        }
        this.feeders = new WorkerPool("snapshot-upload-feed", memory.streams());
        this.parts = new WorkerPool("snapshot-upload-part", memory.streams() * memory.inFlight());
        this.partRetry = RetryConfig.custom()
                .maxAttempts(settings.partAttempts())
                .intervalFunction(IntervalFunction.ofExponentialBackoff(settings.partRetryBackoff(), 2.0))
                .retryOnException(GuardianException::isRetriable)
                .build();
    }

    /**
     * Starts the upload and the thread that feeds it from {@code source}; {@code encrypt} wraps the
     * compressed stream (identity when encryption is off).
     */
    public Upload start(
            ClusterSpec cluster,
            String key,
            InputStream source,
            boolean compress,
            UnaryOperator<OutputStream> encrypt) {
        SnapshotStore store = stores.of(cluster);
        Upload upload = new Upload(store, key, store.startMultipart(key));
        upload.feeding = CompletableFuture.supplyAsync(() -> upload.feed(source, compress, encrypt), feeders);
        return upload;
    }

    /** The object as stored: its size and SHA-256 (hex). */
    public record Stored(long bytes, String sha256) {}

    /** One multipart upload in progress. */
    public final class Upload {
        private final SnapshotStore store;
        private final String key;
        private final SnapshotStore.MultipartWrite write;
        private CompletableFuture<Fed> feeding;

        private record Fed(List<SnapshotStore.Part> parts, long storedBytes, String storedSha256) {}

        Upload(SnapshotStore store, String key, SnapshotStore.MultipartWrite write) {
            this.store = store;
            this.key = key;
            this.write = write;
        }

        private Fed feed(InputStream source, boolean compress, UnaryOperator<OutputStream> encrypt) {
            PartSink<SnapshotStore.Part> sink =
                    new PartSink<>(memory.partSize(), memory.inFlight(), parts, this::uploadPart);
            // the stored bytes' own digest: `sha256sum` of a downloaded object checks against it
            java.security.MessageDigest digest = Sha256.newDigest();
            try (source) {
                OutputStream encrypted = encrypt.apply(new java.security.DigestOutputStream(sink, digest));
                try (OutputStream stored = compress ? zstd(encrypted) : encrypted) {
                    // large copies: each read wakes the spool lock and each write crosses into zstd's native code
                    byte[] buffer = new byte[COPY_BUFFER];
                    for (int n; (n = source.read(buffer)) >= 0; ) {
                        stored.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                sink.parts().forEach(p -> p.cancel(false));
                throw new CompletionException(e);
            }
            List<SnapshotStore.Part> parts =
                    sink.parts().stream().map(CompletableFuture::join).toList();
            return new Fed(parts, sink.total(), Sha256.hex(digest));
        }

        private OutputStream zstd(OutputStream out) throws IOException {
            ZstdOutputStream zstd = new ZstdOutputStream(out, settings.zstdLevel());
            if (settings.zstdWorkers() > 0) {
                zstd.setWorkers(settings.zstdWorkers());
            }
            return zstd;
        }

        private SnapshotStore.Part uploadPart(int number, PartSink.Part part) {
            String checksum = SnapshotStore.sha256Base64(part.data());
            Retry retry = Retry.of("part-" + number, partRetry);
            return retry.executeSupplier(() -> write.upload(number, part.data(), checksum));
        }

        /** Waits for every part, then commits the object. Returns the stored size and digest. */
        public Stored complete() {
            Fed fed;
            try {
                fed = feeding.join();
            } catch (CompletionException e) {
                abort();
                throw StoreErrors.translate("upload " + key, store.describe(), e.getCause());
            }
            try {
                write.complete(fed.parts());
                return new Stored(fed.storedBytes(), fed.storedSha256());
            } catch (RuntimeException e) {
                abort();
                throw e;
            }
        }

        /** Gives up: waits for the feeder to stop, then removes every uploaded part. Never throws. */
        public void abort() {
            try {
                feeding.handle((r, e) -> null).join();
                write.abort();
            } catch (RuntimeException e) {
                LOG.warn(
                        "could not abort upload {} of {}; trying again every {} (and the incomplete-upload cleaner"
                                + " would): {}",
                        write.uploadId(),
                        key,
                        settings.abortRetryInterval(),
                        e.toString());
                failedAborts.add(this);
            }
        }
    }

    /**
     * An outage that made an upload fail usually made its abort fail too: its parts would stay until
     * the orphan sweep's age (a day by default) if nothing tried again once the store is back.
     */
    @Scheduled(fixedDelay = "${guardian.snapshot.abort-retry-interval:30s}")
    void retryFailedAborts() {
        for (int n = failedAborts.size(); n > 0; n--) {
            Upload upload = failedAborts.poll();
            if (upload == null) {
                return;
            }
            try {
                upload.write.abort();
                LOG.info("aborted upload {} of {} now that the store answers", upload.write.uploadId(), upload.key);
            } catch (RuntimeException e) {
                failedAborts.add(upload);
            }
        }
    }

    @PreDestroy
    void close() {
        feeders.shutdownNow();
        parts.shutdownNow();
    }
}
