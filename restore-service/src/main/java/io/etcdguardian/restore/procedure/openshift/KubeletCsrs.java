package io.etcdguardian.restore.procedure.openshift;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;

/**
 * The certificate signing requests a restore approves, and only those (the seed: "approve each valid
 * node-bootstrapper CSR" and the kubelet-serving ones): a kubelet's client certificate asked for by
 * the machine-config operator's node-bootstrapper, and a node's own serving certificate. Anything
 * else pending is an operator's decision and is only listed.
 */
final class KubeletCsrs {
    static final String CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
    static final String SERVING_SIGNER = "kubernetes.io/kubelet-serving";
    static final String NODE_BOOTSTRAPPER = "system:serviceaccount:openshift-machine-config-operator:node-bootstrapper";

    private final KubernetesClient client;

    KubeletCsrs(KubernetesClient client) {
        this.client = client;
    }

    /** What the restore may approve: bootstrapper client CSRs and a node's serving CSR for itself. */
    static boolean ours(CertificateSigningRequest csr) {
        String signer = csr.getSpec().getSignerName();
        String user = csr.getSpec().getUsername() == null ? "" : csr.getSpec().getUsername();
        return CLIENT_SIGNER.equals(signer) && NODE_BOOTSTRAPPER.equals(user)
                || SERVING_SIGNER.equals(signer) && user.startsWith("system:node:");
    }

    static boolean pending(CertificateSigningRequest csr) {
        return csr.getStatus() == null
                || csr.getStatus().getConditions() == null
                || csr.getStatus().getConditions().isEmpty();
    }

    /** Approves every pending CSR of ours; returns their names. */
    List<String> approvePending() {
        List<String> approved = new ArrayList<>();
        for (CertificateSigningRequest csr :
                client.certificates().v1().certificateSigningRequests().list().getItems()) {
            if (pending(csr) && ours(csr)) {
                CertificateSigningRequestCondition approval = new CertificateSigningRequestConditionBuilder()
                        .withType("Approved")
                        .withStatus("True")
                        .withReason("EtcdGuardianRestore")
                        .withMessage("approved by etcd-guardian after a restore (kubelet CSR)")
                        .build();
                client.certificates()
                        .v1()
                        .certificateSigningRequests()
                        .withName(csr.getMetadata().getName())
                        .approve(approval);
                approved.add(csr.getMetadata().getName());
            }
        }
        return approved;
    }

    /** Pending CSRs the restore leaves to an operator, by name. */
    List<String> othersPending() {
        return client.certificates().v1().certificateSigningRequests().list().getItems().stream()
                .filter(c -> pending(c) && !ours(c))
                .map(c -> c.getMetadata().getName())
                .sorted()
                .toList();
    }
}
