package io.etcdguardian.common.s3;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.common.fleet.StoreSpec;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * S3 clients per store: endpoint override and path-style for S3-compatible stores, credentials from
 * the store's credentials file or the AWS default chain. Clients are cached per (endpoint, region,
 * credentials file) and closed with the service. Credentials are never logged.
 */
@Singleton
public class S3Clients {
    private final Map<Key, S3Client> clients = new ConcurrentHashMap<>();

    private record Key(String endpoint, String region, String credentialsFile) {}

    public S3Client client(StoreSpec store) {
        return client(store.endpoint(), store.regionOrDefault(), store.credentialsFile());
    }

    public S3Client client(String endpoint, String region, String credentialsFile) {
        return clients.computeIfAbsent(new Key(endpoint, region, credentialsFile), k -> {
            var builder = S3Client.builder()
                    .region(Region.of(k.region()))
                    .credentialsProvider(credentials(k.credentialsFile()))
                    // S3-compatible stores (S3Proxy, MinIO, Ceph) want path-style and checksums only when required
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            if (k.endpoint() != null) {
                builder.endpointOverride(URI.create(k.endpoint())).forcePathStyle(true);
            }
            return builder.build();
        });
    }

    public S3Presigner presigner(StoreSpec store) {
        var builder = S3Presigner.builder()
                .region(Region.of(store.regionOrDefault()))
                .credentialsProvider(credentials(store.credentialsFile()));
        if (store.endpoint() != null) {
            builder.endpointOverride(URI.create(store.endpoint()))
                    .serviceConfiguration(S3Configuration.builder()
                            .pathStyleAccessEnabled(true)
                            .build());
        }
        return builder.build();
    }

    static AwsCredentialsProvider credentials(String credentialsFile) {
        if (credentialsFile == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(credentialsFile))) {
            props.load(in);
        } catch (IOException e) {
            throw new GuardianException(Reason.INVALID_CONFIG, "cannot read credentials file " + credentialsFile, e);
        }
        String id = props.getProperty("accessKeyId");
        String secret = props.getProperty("secretAccessKey");
        if (id == null || secret == null) {
            throw new GuardianException(
                    Reason.INVALID_CONFIG,
                    "credentials file " + credentialsFile + " needs accessKeyId and secretAccessKey");
        }
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret));
    }

    @PreDestroy
    void close() {
        clients.values().stream().filter(Objects::nonNull).forEach(S3Client::close);
        clients.clear();
    }
}
