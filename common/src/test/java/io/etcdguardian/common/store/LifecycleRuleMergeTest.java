package io.etcdguardian.common.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.LifecycleRule;

/**
 * The rule that expires staged restore copies joins a bucket's lifecycle without touching its other
 * rules (S3 replaces the whole configuration on every write). S3Proxy has no lifecycle support, so the
 * round trip against a bucket is not run here; the merge is what could lose someone's rules.
 */
class LifecycleRuleMergeTest {
    private static final LifecycleRule THEIRS = LifecycleRule.builder()
            .id("archive-logs")
            .filter(f -> f.prefix("logs/"))
            .status(ExpirationStatus.ENABLED)
            .expiration(e -> e.days(90))
            .build();

    @Test
    void addsOursBesideTheirsUpdatesOursAndLeavesAnUnchangedConfigurationAlone() {
        List<LifecycleRule> added = S3SnapshotStore.withExpiry(List.of(THEIRS), "prod/c1/restores/", 1)
                .orElseThrow();
        assertThat(added).hasSize(2).contains(THEIRS);
        LifecycleRule ours = added.get(1);
        assertThat(ours.id()).isEqualTo("etcd-guardian:prod/c1/restores/");
        assertThat(ours.filter().prefix()).isEqualTo("prod/c1/restores/");
        assertThat(ours.expiration().days()).isEqualTo(1);
        assertThat(ours.abortIncompleteMultipartUpload().daysAfterInitiation()).isEqualTo(1);

        assertThat(S3SnapshotStore.withExpiry(added, "prod/c1/restores/", 1))
                .as("already so: no write")
                .isEmpty();
        List<LifecycleRule> longer =
                S3SnapshotStore.withExpiry(added, "prod/c1/restores/", 3).orElseThrow();
        assertThat(longer).hasSize(2).contains(THEIRS);
        assertThat(longer)
                .filteredOn(r -> r.id().startsWith("etcd-guardian:"))
                .singleElement()
                .satisfies(r -> assertThat(r.expiration().days()).isEqualTo(3));
        assertThat(S3SnapshotStore.withExpiry(longer, "prod/c2/restores/", 1).orElseThrow())
                .as("another cluster's rule is its own")
                .hasSize(3);
    }
}
