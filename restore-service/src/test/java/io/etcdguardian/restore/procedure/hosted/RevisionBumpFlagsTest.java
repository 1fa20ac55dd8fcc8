package io.etcdguardian.restore.procedure.hosted;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.fleet.RestoreSpec;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A restore bumps the revision past anything a client (the API server's watch cache) saw — when the
 * restore Job's etcdutl has the flags (3.5.10 and later) and the fleet does not forbid it, or when the
 * fleet asks for it.
 */
class RevisionBumpFlagsTest {
    private static final List<String> BUMP = List.of("--bump-revision", "1000000000", "--mark-compacted");

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "registry.k8s.io/etcd:3.5.10-0, true",
        "registry.k8s.io/etcd:3.5.9-0, false",
        "quay.io/coreos/etcd:v3.6.0, true",
        "quay.io/coreos/etcd:v3.4.23, false",
        "registry.example:5000/etcd:v3.5.21, true",
        "gcr.io/etcd-development/etcd:v4.0.1, true",
        "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:0123abcd, false",
        "etcd:latest, false"
    })
    void byTheImagesVersionWhenTheFleetDoesNotSay(String image, boolean bumps) {
        assertThat(HostedClusters.bumpRevisionFlags(spec(null), image)).isEqualTo(bumps ? BUMP : List.of());
        assertThat(HostedClusters.bumpRevisionFlags(null, image))
                .as("no restore section")
                .isEqualTo(bumps ? BUMP : List.of());
    }

    @Test
    void theFleetDecidesWhenItSays() {
        assertThat(HostedClusters.bumpRevisionFlags(spec(false), "quay.io/coreos/etcd:v3.6.0"))
                .as("forbidden, even where supported")
                .isEmpty();
        assertThat(HostedClusters.bumpRevisionFlags(spec(true), "quay.io/openshift-release-dev/ocp@sha256:00"))
                .as("asked for, on an image whose version cannot be read from its name")
                .isEqualTo(BUMP);
        assertThat(HostedClusters.bumpRevisionFlags(spec(true), null)).isEqualTo(BUMP);
    }

    private static RestoreSpec spec(Boolean bump) {
        return new RestoreSpec(null, null, bump, null, null, null);
    }
}
