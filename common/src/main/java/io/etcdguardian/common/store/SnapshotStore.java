package io.etcdguardian.common.store;

import java.io.InputStream;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where a cluster's snapshots, manifests, leases and staged restore copies live, by key (the
 * layout is {@code SnapshotKeys}'). Two implementations: S3 (and compatible stores) for real use,
 * and a local directory for tests and set-ups that are not about S3 ({@code store.endpoint:
 * file:///dir}). Failures are {@code GuardianException}s with a STORE_* reason.
 */
public interface SnapshotStore {
    /** One stored object. */
    record Entry(String key, long size, Instant lastModified) {}

    /** An object's bytes with the version a conditional write must name. */
    record Versioned(byte[] bytes, String version) {}

    /** A multipart upload that was started and neither completed nor aborted. */
    record PendingUpload(String key, String uploadId, Instant initiated) {}

    /** What the store acknowledged for one part; passed back in order to {@link MultipartWrite#complete}. */
    record Part(int number, String etag, String sha256Base64) {}

    /** The SHA-256 of a part, base64 as S3's {@code x-amz-checksum-sha256} wants it. */
    static String sha256Base64(byte[] bytes, int length) {
        return sha256Base64(java.nio.ByteBuffer.wrap(bytes, 0, length));
    }

    /** Of the buffer's remaining bytes; its position is left as it is. */
    static String sha256Base64(java.nio.ByteBuffer data) {
        try {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            digest.update(data.duplicate());
            return java.util.Base64.getEncoder().encodeToString(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where this store is, for messages: {@code s3://bucket} or {@code file:///dir/bucket}. */
    String describe();

    List<Entry> list(String prefix);

    /** Keys under a prefix up to a last one, in key order; {@code more}: keys after {@code lastKey} exist. */
    record Listing(List<Entry> entries, boolean more) {}

    /**
     * The entries under {@code prefix} whose key sorts at or before {@code lastKey}, in key order, read no
     * further than needed: a prefix of many keys costs what the first of them cost.
     */
    Listing listUpTo(String prefix, String lastKey);

    Optional<byte[]> read(String key);

    Optional<Versioned> readVersioned(String key);

    /** The object's content; NOT_FOUND when it does not exist. */
    InputStream open(String key);

    Optional<Long> size(String key);

    void write(String key, byte[] bytes, String contentType);

    void writeFile(String key, Path file);

    /**
     * As {@link #writeFile}, encrypted at rest by the store: its configured server-side encryption, else
     * SSE-S3 (AES256). A store that cannot encrypt refuses it (the caller fails, nothing is written in
     * the clear).
     */
    void writeFileEncryptedAtRest(String key, Path file);

    /**
     * Asks the store to expire objects under {@code prefix} {@code days} days after they were written
     * (an S3 lifecycle rule, added beside the bucket's other rules, never replacing them); false when
     * the store cannot (a directory store, S3-compatible servers without lifecycle support, no permission).
     */
    boolean expireUnder(String prefix, int days);

    /** Writes only if the stored version is still {@code expected} (null: only if absent); false when it was not. */
    boolean compareAndSet(String key, byte[] bytes, String expected);

    void delete(String key);

    /** Deletes {@code keys} (absent ones are no error), in as few calls as the store allows. */
    void deleteAll(List<String> keys);

    MultipartWrite startMultipart(String key);

    List<PendingUpload> pendingUploads(String prefix);

    void abort(PendingUpload upload);

    /** A short-lived GET URL (a bearer credential: never log or publish it). */
    URL presignGet(String key, Duration expiry);

    /**
     * A short-lived PUT URL and the headers its uploader must send with it (the store's server-side
     * encryption, when configured, is part of the signature; {@code encryptedAtRest} asks for SSE-S3 when
     * none is). A bearer credential: never log or publish it.
     */
    PresignedPut presignPut(String key, Duration expiry, boolean encryptedAtRest);

    /** A presigned upload: the URL and the signed headers that must accompany it. */
    record PresignedPut(URL url, java.util.Map<String, String> headers) {}

    /** An object written in numbered parts (from 1), committed whole by {@link #complete}. */
    interface MultipartWrite {
        String uploadId();

        /**
         * Uploads {@code data}'s remaining bytes as a part with their SHA-256 (the store checks it);
         * safe to repeat. The buffer (direct, off the heap, when it comes from an upload) is only read:
         * its position is left as it is.
         */
        Part upload(int number, java.nio.ByteBuffer data, String sha256Base64);

        void complete(List<Part> parts);

        void abort();
    }
}
