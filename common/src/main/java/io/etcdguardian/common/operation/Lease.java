package io.etcdguardian.common.operation;

import java.time.Instant;

/**
 * Who runs an operation of one kind on one cluster, until when. {@code token} is the fencing token:
 * it grows by one with every new holder, so a holder that was replaced (paused, partitioned, its
 * partition revoked — the zombie) finds a larger token and stops before its next destructive act.
 *
 * @param subject what the operation works on, where others must know (the snapshot a drill or restore reads)
 */
public record Lease(
        String clusterId,
        OperationKind kind,
        String operationId,
        String holder,
        String subject,
        long token,
        Instant acquiredAt,
        Instant expiresAt) {

    public boolean heldAt(Instant now) {
        return expiresAt.isAfter(now);
    }

    Lease renewedUntil(Instant until) {
        return new Lease(clusterId, kind, operationId, holder, subject, token, acquiredAt, until);
    }
}
