package io.etcdguardian.common.http;

import io.etcdguardian.common.event.GuardianException;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * Every service answers a {@link GuardianException} the same way: a status that fits the reason and
 * {@code {"reason": "...", "message": "..."}}, the reason being the one events and metrics use.
 */
@Produces
@Singleton
@Requires(classes = {GuardianException.class, ExceptionHandler.class})
public class GuardianErrorHandler implements ExceptionHandler<GuardianException, HttpResponse<Map<String, Object>>> {

    @Override
    @SuppressWarnings(
            "rawtypes") // ExceptionHandler declares the raw HttpRequest; a parameterised one does not override it
    public HttpResponse<Map<String, Object>> handle(HttpRequest request, GuardianException e) {
        return HttpResponse.<Map<String, Object>>status(status(e))
                .body(Map.of("reason", e.reason().name(), "message", e.getMessage()));
    }

    static HttpStatus status(GuardianException e) {
        return switch (e.reason()) {
            case UNKNOWN_CLUSTER, NOT_FOUND -> HttpStatus.NOT_FOUND;
            case INVALID_EVENT, INVALID_CONFIG, INVALID_REQUEST -> HttpStatus.BAD_REQUEST;
            case BUSY, PAUSED -> HttpStatus.CONFLICT;
            case PRECONDITION_FAILED, VERSION_MISMATCH -> HttpStatus.PRECONDITION_FAILED;
            case STORE_UNAVAILABLE, ETCD_UNAVAILABLE, KAFKA_UNAVAILABLE, TIMEOUT -> HttpStatus.SERVICE_UNAVAILABLE;
            case STORE_ACCESS_DENIED, STORE_MISSING_BUCKET, KAFKA_ACCESS_DENIED -> HttpStatus.BAD_GATEWAY;
            default -> HttpStatus.INTERNAL_SERVER_ERROR;
        };
    }
}
