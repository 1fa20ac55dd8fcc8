package io.etcdguardian.backplane;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.etcdguardian.common.security.OwnerOnlyFile;
import io.etcdguardian.localetcd.ChildProcess;
import io.etcdguardian.localetcd.FreePorts;
import io.etcdguardian.localetcd.Readiness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * S3Proxy with its filesystem backend: the real S3 API (multipart, presigned URLs, checksums) on
 * loopback. Its access key pair is made up per backplane and kept in the state dir, readable by root only.
 * {@code inMemory}: S3Proxy's transient backend instead, which also answers server-side encryption
 * (SSE-S3) as S3 does — and which the filesystem backend refuses (501) — but keeps nothing across a restart.
 */
public record S3ProxyServer(Path dir, int port, String accessKey, String secretKey, boolean inMemory) {

    public static S3ProxyServer plan(Path dir) {
        return plan(dir, false);
    }

    public static S3ProxyServer plan(Path dir, boolean inMemory) {
        SecureRandom random = new SecureRandom();
        byte[] secret = new byte[20];
        random.nextBytes(secret);
        return new S3ProxyServer(
                dir, FreePorts.next(), "guardian-local", HexFormat.of().formatHex(secret), inMemory);
    }

    @JsonIgnore
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public S3ProxyServer start() {
        ChildProcess process = process();
        if (!process.isAlive()) {
            Path config = writeConfig();
            process.start(
                    List.of(
                            Components.java(),
                            "-Xms32m",
                            "-Xmx256m",
                            "-XX:+UseSerialGC",
                            "-jar",
                            Components.dir().resolve("s3proxy/s3proxy.jar").toString(),
                            "--properties",
                            config.toString()),
                    dir);
        }
        Readiness.await(
                "s3proxy on " + endpoint(),
                Duration.ofSeconds(30),
                process,
                () -> Readiness.httpAnswers(URI.create(endpoint() + "/"), r -> r.statusCode() > 0));
        return this;
    }

    public void stop() {
        process().stop(Duration.ofSeconds(10));
    }

    /** Ends S3Proxy at once, as an outage would; {@link #start()} brings it back with its data. */
    public void kill() {
        process().kill();
    }

    public boolean isAlive() {
        return process().isAlive();
    }

    public ChildProcess process() {
        return new ChildProcess("s3proxy", dir);
    }

    /**
     * Writes {@code file} as a fleet's store names it ({@code credentialsFile}): this server's access
     * key and secret key, readable by the owner only; returns it.
     */
    public Path writeCredentials(Path file) {
        try {
            OwnerOnlyFile.write(file, "accessKeyId=" + accessKey + "\nsecretAccessKey=" + secretKey + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public S3Client client() {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint()))
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .build();
    }

    public void createBucket(String bucket) {
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket(bucket));
        } catch (BucketAlreadyOwnedByYouException alreadyThere) {
            // idempotent start
        }
    }

    private Path writeConfig() {
        try {
            Path data = Files.createDirectories(dir.resolve("data"));
            Path config = dir.resolve("s3proxy.properties");
            OwnerOnlyFile.write(
                    config,
                    String.join(
                            "\n",
                            "s3proxy.endpoint=" + endpoint(),
                            "s3proxy.authorization=aws-v2-or-v4",
                            "s3proxy.identity=" + accessKey,
                            "s3proxy.credential=" + secretKey,
                            inMemory ? "jclouds.provider=transient" : "jclouds.provider=filesystem",
                            "jclouds.filesystem.basedir=" + data,
                            ""));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
