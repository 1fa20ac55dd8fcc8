package io.etcdguardian.snapshot.store;

import com.github.luben.zstd.ZstdOutputStream;
import io.etcdguardian.common.error.GuardianException;
import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.fleet.StoreSpec;
import io.etcdguardian.common.s3.S3Clients;
import io.etcdguardian.common.s3.StoreErrors;
import io.etcdguardian.snapshot.SnapshotSettings;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

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

    private final S3Clients clients;
    private final SnapshotSettings settings;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "snapshot-upload");
        t.setDaemon(true);
        return t;
    });
    private final RetryConfig partRetry;

    public SnapshotUploader(S3Clients clients, SnapshotSettings settings) {
        this.clients = clients;
        this.settings = settings;
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
    public Upload start(ClusterSpec cluster, String key, InputStream source, boolean compress,
                        UnaryOperator<OutputStream> encrypt) {
        StoreSpec store = cluster.store();
        S3Client s3 = clients.client(store);
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
                .bucket(store.bucket()).key(key).contentType("application/octet-stream")
                .checksumAlgorithm(ChecksumAlgorithm.SHA256);
        if (store.serverSideEncryption() != null) {
            create.serverSideEncryption(ServerSideEncryption.fromValue(store.serverSideEncryption()));
            if (store.kmsKeyId() != null) {
                create.ssekmsKeyId(store.kmsKeyId());
            }
        }
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(create.build()).uploadId();
        } catch (RuntimeException e) {
            throw StoreErrors.translate("start upload of " + key, store.bucket(), e);
        }
        Upload upload = new Upload(s3, store.bucket(), key, uploadId);
        upload.feeding = CompletableFuture.supplyAsync(() -> upload.feed(source, compress, encrypt), pool);
        return upload;
    }

    /** One multipart upload in progress. */
    public final class Upload {
        private final S3Client s3;
        private final String bucket;
        private final String key;
        private final String uploadId;
        private CompletableFuture<Fed> feeding;

        private record Fed(List<CompletedPart> parts, long storedBytes) {}

        Upload(S3Client s3, String bucket, String key, String uploadId) {
            this.s3 = s3;
            this.bucket = bucket;
            this.key = key;
            this.uploadId = uploadId;
        }

        private Fed feed(InputStream source, boolean compress, UnaryOperator<OutputStream> encrypt) {
            PartSink<CompletedPart> sink = new PartSink<>(settings.partSizeBytes(), settings.uploadConcurrency(), pool,
                    this::uploadPart);
            try (source) {
                OutputStream encrypted = encrypt.apply(sink);
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
            List<CompletedPart> parts = sink.parts().stream().map(CompletableFuture::join).toList();
            return new Fed(parts, sink.total());
        }

        private OutputStream zstd(OutputStream out) throws IOException {
            ZstdOutputStream zstd = new ZstdOutputStream(out, settings.zstdLevel());
            if (settings.zstdWorkers() > 0) {
                zstd.setWorkers(settings.zstdWorkers());
            }
            return zstd;
        }

        private CompletedPart uploadPart(int number, PartSink.Part part) {
            byte[] bytes = part.bytes();
            int length = part.length();
            String checksum = Base64.getEncoder().encodeToString(sha256(bytes, length));
            Retry retry = Retry.of("part-" + number, partRetry);
            return retry.executeSupplier(() -> {
                try {
                    UploadPartResponse response = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                            .partNumber(number).contentLength((long) length).checksumSHA256(checksum),
                            RequestBody.fromContentProvider(() -> new java.io.ByteArrayInputStream(bytes, 0, length),
                                    length, "application/octet-stream"));
                    return CompletedPart.builder().partNumber(number).eTag(response.eTag())
                            .checksumSHA256(checksum).build();
                } catch (RuntimeException e) {
                    throw StoreErrors.translate("upload part " + number + " of " + key, bucket, e);
                }
            });
        }

        /** Waits for every part, then commits the object. Returns the stored size. */
        public long complete() {
            Fed fed;
            try {
                fed = feeding.join();
            } catch (CompletionException e) {
                abort();
                throw StoreErrors.translate("upload " + key, bucket, e.getCause());
            }
            try {
                s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                        .multipartUpload(m -> m.parts(fed.parts())));
                return fed.storedBytes();
            } catch (RuntimeException e) {
                abort();
                throw StoreErrors.translate("complete upload of " + key, bucket, e);
            }
        }

        /** Gives up: waits for the feeder to stop, then removes every uploaded part. Never throws. */
        public void abort() {
            try {
                feeding.handle((r, e) -> null).join();
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (RuntimeException e) {
                LOG.warn("could not abort upload {} of {}; the incomplete-upload cleaner will: {}", uploadId, key,
                        e.toString());
            }
        }
    }

    private static byte[] sha256(byte[] bytes, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes, 0, length);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @PreDestroy
    void close() {
        pool.shutdownNow();
    }
}
