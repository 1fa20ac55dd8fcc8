package io.etcdguardian.restore.procedure.hosted;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.common.fleet.KubernetesSpec;
import org.junit.jupiter.api.Test;

/** The control-plane namespace is HyperShift's, so a restore scales and deletes in the right one. */
class ControlPlaneNamespaceTest {
    @Test
    void isTheHostedClustersNamespaceAndNameWithDotsAsHyphens() {
        assertThat(HostedClusters.controlPlaneNamespace(new KubernetesSpec("hosted-onprem", "clusters", "hc1", null)))
                .isEqualTo("clusters-hc1");
        assertThat(HostedClusters.controlPlaneNamespace(
                        new KubernetesSpec("hosted-aws", "clusters", "prod.eu-1", null)))
                .isEqualTo("clusters-prod-eu-1");
    }
}
