package io.etcdguardian.common.catalog;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the fleet catalogue holds on one cluster: its snapshots (null: nothing recorded yet) and
 * the last operation of each kind.
 */
public record ClusterCatalog(String clusterId, CatalogEntry snapshots, List<OperationSummary> operations) {
    public ClusterCatalog {
        operations = operations == null ? List.of() : List.copyOf(operations);
    }

    public List<OperationSummary> running() {
        return operations.stream().filter(OperationSummary::running).toList();
    }

    /** The last restore, running or ended. */
    public Optional<OperationSummary> lastRestore() {
        return operations.stream()
                .filter(o -> "RESTORE".equals(o.kind()))
                .max(Comparator.comparing(OperationSummary::startedAt));
    }
}
