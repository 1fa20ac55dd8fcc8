package io.etcdguardian.common.catalog;

import io.etcdguardian.common.journal.JournalCoverage;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the fleet catalogue holds on one cluster: its snapshots (null: nothing recorded yet), the
 * last operation of each kind, and what its journal covers (null: no journal).
 */
public record ClusterCatalog(
        String clusterId, CatalogEntry snapshots, List<OperationSummary> operations, JournalCoverage journal) {
    public ClusterCatalog {
        operations = operations == null ? List.of() : List.copyOf(operations);
    }

    /** Without a journal (continuous backup off, or nothing recorded yet). */
    public ClusterCatalog(String clusterId, CatalogEntry snapshots, List<OperationSummary> operations) {
        this(clusterId, snapshots, operations, null);
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
