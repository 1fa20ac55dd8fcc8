package io.etcdguardian.common.kafka;

import org.slf4j.MDC;

/** Puts cluster, operation id and event type in the MDC so that every log line of the work names them. */
public final class OperationContext implements AutoCloseable {
    private OperationContext() {}

    public static OperationContext open(String clusterId, String operationId, String type) {
        MDC.put("cluster", clusterId);
        MDC.put("op", operationId);
        MDC.put("type", type);
        return new OperationContext();
    }

    @Override
    public void close() {
        MDC.remove("cluster");
        MDC.remove("op");
        MDC.remove("type");
    }
}
