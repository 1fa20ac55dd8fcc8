package io.etcdguardian.cli.local;

import io.etcdguardian.backplane.Backplane;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes the fleet file for the local backplane: one cluster, `local`, backed up into the local S3. */
public final class LocalFleet {
    public static final String CLUSTER_ID = "local";

    private LocalFleet() {}

    public static Path write(Backplane backplane) {
        try {
            Path credentials = backplane
                    .s3()
                    .writeCredentials(backplane.stateDir().resolve("s3").resolve("credentials.properties"));
            Path fleet = backplane.stateDir().resolve("fleet.yaml");
            Files.writeString(fleet, """
                    # Written by `guardianctl local up`; edit it and the services pick the change up.
                    defaults:
                      store:
                        bucket: %s
                        endpoint: %s
                        credentialsFile: %s
                      schedule: { cron: "*/30 * * * *", timezone: UTC, jitter: 10s }
                      retention: { keepLast: 10, hourly: 24, daily: 7 }
                    clusters:
                      - id: %s
                        etcd:
                          endpoints: [%s]
                        kubernetes: { kind: local }
                        restore: { localDir: %s }
                    """.formatted(
                            backplane.bucket(),
                            backplane.s3().endpoint(),
                            credentials,
                            CLUSTER_ID,
                            String.join(", ", backplane.etcd().endpoints()),
                            backplane.etcd().dir()));
            return fleet;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
