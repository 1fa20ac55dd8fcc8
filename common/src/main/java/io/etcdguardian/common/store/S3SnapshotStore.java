package io.etcdguardian.common.store;

import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;
import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.s3.StoreErrors;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The store on S3 or an S3-compatible server: conditional writes for leases, multipart uploads with
 * a SHA-256 per part, server-side encryption when the store asks for it, presigned GETs.
 */
final class S3SnapshotStore implements SnapshotStore {
    private final S3Client s3;
    private final Supplier<S3Presigner> presigner;
    private final String bucket;
    private final String serverSideEncryption;
    private final String kmsKeyId;

    S3SnapshotStore(
            S3Client s3, Supplier<S3Presigner> presigner, String bucket, String serverSideEncryption, String kmsKeyId) {
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
        this.serverSideEncryption = serverSideEncryption;
        this.kmsKeyId = kmsKeyId;
    }

    @Override
    public String describe() {
        return "s3://" + bucket;
    }

    private <T> T call(String action, Supplier<T> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            throw StoreErrors.translate(action, bucket, e);
        }
    }

    @Override
    public List<Entry> list(String prefix) {
        return call("list " + prefix, () -> {
            List<Entry> entries = new ArrayList<>();
            s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))
                    .contents()
                    .forEach(o -> entries.add(new Entry(o.key(), o.size(), o.lastModified())));
            return entries;
        });
    }

    @Override
    public Listing listUpTo(String prefix, String lastKey) {
        return call("list " + prefix, () -> {
            List<Entry> entries = new ArrayList<>();
            // S3 lists in key order, a page at a time: stopping here reads no page beyond lastKey
            for (software.amazon.awssdk.services.s3.model.S3Object o : s3.listObjectsV2Paginator(
                            b -> b.bucket(bucket).prefix(prefix))
                    .contents()) {
                if (o.key().compareTo(lastKey) > 0) {
                    return new Listing(entries, true);
                }
                entries.add(new Entry(o.key(), o.size(), o.lastModified()));
            }
            return new Listing(entries, false);
        });
    }

    @Override
    public Optional<byte[]> read(String key) {
        return readVersioned(key).map(Versioned::bytes);
    }

    @Override
    public Optional<Versioned> readVersioned(String key) {
        return call("read " + key, () -> {
            try {
                ResponseBytes<GetObjectResponse> object =
                        s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
                return Optional.of(
                        new Versioned(object.asByteArray(), object.response().eTag()));
            } catch (NoSuchKeyException absent) {
                return Optional.empty();
            }
        });
    }

    @Override
    public InputStream open(String key) {
        return call("read " + key, () -> {
            try {
                return s3.getObject(b -> b.bucket(bucket).key(key));
            } catch (NoSuchKeyException absent) {
                throw new GuardianException(Reason.NOT_FOUND, "no object " + key + " in " + describe(), absent);
            }
        });
    }

    @Override
    public Optional<Long> size(String key) {
        return call("find " + key, () -> {
            try {
                return Optional.of(s3.headObject(b -> b.bucket(bucket).key(key)).contentLength());
            } catch (S3Exception e) {
                if (e.statusCode() == 404) { // HEAD answers without a body, so not always as NoSuchKey
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    @Override
    public void write(String key, byte[] bytes, String contentType) {
        call(
                "write " + key,
                () -> s3.putObject(
                        b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(bytes)));
    }

    @Override
    public void writeFile(String key, Path file) {
        put(key, file, serverSideEncryption);
    }

    @Override
    public void writeFileEncryptedAtRest(String key, Path file) {
        put(key, file, serverSideEncryption != null ? serverSideEncryption : ServerSideEncryption.AES256.toString());
    }

    @Override
    public boolean expireUnder(String prefix, int days) {
        try {
            List<LifecycleRule> existing;
            try {
                existing = s3.getBucketLifecycleConfiguration(b -> b.bucket(bucket))
                        .rules();
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e;
                }
                existing = List.of(); // NoSuchLifecycleConfiguration
            }
            Optional<List<LifecycleRule>> merged = withExpiry(existing, prefix, days);
            if (merged.isPresent()) {
                s3.putBucketLifecycleConfiguration(
                        b -> b.bucket(bucket).lifecycleConfiguration(c -> c.rules(merged.get())));
            }
            return true;
        } catch (S3Exception e) {
            // 501 (S3Proxy, some S3-compatible stores), 403 (no s3:PutLifecycleConfiguration): the caller sweeps
            // instead
            return false;
        }
    }

    /**
     * The bucket's rules with ours for {@code prefix} (id {@code etcd-guardian:<prefix>}) added or updated;
     * empty when they already say so. Other rules are kept as they are.
     */
    static Optional<List<LifecycleRule>> withExpiry(List<LifecycleRule> existing, String prefix, int days) {
        String id = "etcd-guardian:" + prefix;
        LifecycleRule ours = LifecycleRule.builder()
                .id(id.length() > 255 ? id.substring(0, 255) : id)
                .filter(f -> f.prefix(prefix))
                .status(ExpirationStatus.ENABLED)
                .expiration(e -> e.days(days))
                .abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(days))
                .build();
        List<LifecycleRule> merged = new ArrayList<>();
        boolean same = false;
        for (LifecycleRule rule : existing) {
            if (ours.id().equals(rule.id())) {
                same = rule.equals(ours);
            } else {
                merged.add(rule);
            }
        }
        if (same) {
            return Optional.empty();
        }
        merged.add(ours);
        return Optional.of(merged);
    }

    private void put(String key, Path file, String encryption) {
        call(
                "write " + key,
                () -> s3.putObject(
                        b -> {
                            b.bucket(bucket).key(key).contentType("application/octet-stream");
                            if (encryption != null) {
                                b.serverSideEncryption(ServerSideEncryption.fromValue(encryption));
                                if (kmsKeyId != null && "aws:kms".equals(encryption)) {
                                    b.ssekmsKeyId(kmsKeyId);
                                }
                            }
                        },
                        RequestBody.fromFile(file)));
    }

    @Override
    public boolean compareAndSet(String key, byte[] bytes, String expected) {
        try {
            s3.putObject(
                    b -> {
                        b.bucket(bucket).key(key).contentType("application/json");
                        if (expected == null) {
                            b.ifNoneMatch("*");
                        } else {
                            b.ifMatch(expected);
                        }
                    },
                    RequestBody.fromBytes(bytes));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false; // another writer was first
            }
            throw StoreErrors.translate("write " + key, bucket, e);
        } catch (RuntimeException e) {
            throw StoreErrors.translate("write " + key, bucket, e);
        }
    }

    @Override
    public void delete(String key) {
        call("delete " + key, () -> s3.deleteObject(b -> b.bucket(bucket).key(key)));
    }

    @Override
    public void deleteAll(List<String> keys) {
        // DeleteObjects takes at most 1,000 keys; each key's own failure comes back in the response
        for (int from = 0; from < keys.size(); from += 1000) {
            List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + 1000)).stream()
                    .map(k -> ObjectIdentifier.builder().key(k).build())
                    .toList();
            String action =
                    "delete " + batch.size() + " objects from " + batch.get(0).key();
            DeleteObjectsResponse response = call(
                    action,
                    () -> s3.deleteObjects(
                            b -> b.bucket(bucket).delete(d -> d.objects(batch).quiet(true))));
            if (response.hasErrors() && !response.errors().isEmpty()) {
                S3Error first = response.errors().get(0);
                throw new GuardianException(
                        Reason.STORE_UNAVAILABLE,
                        action + ": " + response.errors().size() + " not deleted, the first " + first.key() + " ("
                                + first.code() + ": " + first.message() + ")");
            }
        }
    }

    @Override
    public MultipartWrite startMultipart(String key) {
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
                .bucket(bucket)
                .key(key)
                .contentType("application/octet-stream")
                .checksumAlgorithm(ChecksumAlgorithm.SHA256);
        if (serverSideEncryption != null) {
            create.serverSideEncryption(ServerSideEncryption.fromValue(serverSideEncryption));
            if (kmsKeyId != null) {
                create.ssekmsKeyId(kmsKeyId);
            }
        }
        String uploadId = call(
                "start upload of " + key,
                () -> s3.createMultipartUpload(create.build()).uploadId());
        return new MultipartWrite() {
            @Override
            public String uploadId() {
                return uploadId;
            }

            @Override
            public Part upload(int number, java.nio.ByteBuffer data, String sha256Base64) {
                String etag = call(
                        "upload part " + number + " of " + key,
                        () -> s3.uploadPart(
                                        b -> b.bucket(bucket)
                                                .key(key)
                                                .uploadId(uploadId)
                                                .partNumber(number)
                                                .contentLength((long) data.remaining())
                                                .checksumSHA256(sha256Base64),
                                        // read in place, however often the SDK asks (signing, a retry): no copy
                                        RequestBody.fromContentProvider(
                                                () -> new ByteBufferBackedInputStream(data.duplicate()),
                                                data.remaining(),
                                                "application/octet-stream"))
                                .eTag());
                return new Part(number, etag, sha256Base64);
            }

            @Override
            public void complete(List<Part> parts) {
                List<CompletedPart> completed = parts.stream()
                        .map(p -> CompletedPart.builder()
                                .partNumber(p.number())
                                .eTag(p.etag())
                                .checksumSHA256(p.sha256Base64())
                                .build())
                        .toList();
                call(
                        "complete upload of " + key,
                        () -> s3.completeMultipartUpload(b ->
                                b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(completed))));
            }

            @Override
            public void abort() {
                call(
                        "abort upload of " + key,
                        () -> s3.abortMultipartUpload(
                                b -> b.bucket(bucket).key(key).uploadId(uploadId)));
            }
        };
    }

    @Override
    public List<PendingUpload> pendingUploads(String prefix) {
        return call(
                "list uploads under " + prefix,
                () -> s3.listMultipartUploads(b -> b.bucket(bucket).prefix(prefix)).uploads().stream()
                        .map(u -> new PendingUpload(u.key(), u.uploadId(), u.initiated()))
                        .toList());
    }

    @Override
    public void abort(PendingUpload upload) {
        call(
                "abort upload of " + upload.key(),
                () -> s3.abortMultipartUpload(
                        b -> b.bucket(bucket).key(upload.key()).uploadId(upload.uploadId())));
    }

    @Override
    public URL presignGet(String key, Duration expiry) {
        try (S3Presigner signer = presigner.get()) {
            return signer.presignGetObject(b -> b.signatureDuration(expiry)
                            .getObjectRequest(g -> g.bucket(bucket).key(key)))
                    .url();
        }
    }

    @Override
    public PresignedPut presignPut(String key, Duration expiry, boolean encryptedAtRest) {
        String encryption = serverSideEncryption != null
                ? serverSideEncryption
                : encryptedAtRest ? ServerSideEncryption.AES256.toString() : null;
        try (S3Presigner signer = presigner.get()) {
            var signed =
                    signer.presignPutObject(b -> b.signatureDuration(expiry).putObjectRequest(p -> {
                        p.bucket(bucket).key(key);
                        if (encryption != null) {
                            p.serverSideEncryption(ServerSideEncryption.fromValue(encryption));
                        }
                    }));
            java.util.Map<String, String> headers = new java.util.TreeMap<>();
            // curl sends Host itself; every other signed header must go with the upload or S3 refuses it
            signed.signedHeaders().forEach((name, values) -> {
                if (!"host".equalsIgnoreCase(name)) {
                    headers.put(name, String.join(",", values));
                }
            });
            return new PresignedPut(signed.url(), headers);
        }
    }
}
