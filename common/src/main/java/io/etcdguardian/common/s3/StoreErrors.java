package io.etcdguardian.common.s3;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Turns AWS SDK failures into reasons an operator can act on: access denied, missing bucket, or store down. */
public final class StoreErrors {
    private StoreErrors() {}

    public static GuardianException translate(String action, String bucket, Throwable e) {
        if (e instanceof GuardianException g) {
            return g;
        }
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof S3Exception) && !(cause instanceof SdkClientException)) {
            cause = cause.getCause();
        }
        if (cause instanceof VirtualMachineError vm) {
            // the heap, not the store: "store unreachable" would send an operator after the wrong thing
            return new GuardianException(
                    Reason.INTERNAL,
                    true,
                    "cannot " + action + ": this service ran out of "
                            + (vm instanceof OutOfMemoryError ? "memory" : "resources")
                            + " (" + vm.getClass().getSimpleName() + ": " + vm.getMessage()
                            + "); give it a larger heap (-Xmx) or fewer snapshots at once (guardian.snapshot.concurrency)",
                    e);
        }
        if (cause instanceof NoSuchBucketException) {
            return new GuardianException(
                    Reason.STORE_MISSING_BUCKET, "cannot " + action + ": bucket '" + bucket + "' does not exist", e);
        }
        if (cause instanceof S3Exception s3) {
            int status = s3.statusCode();
            if (status == 403 || status == 401) {
                return new GuardianException(
                        Reason.STORE_ACCESS_DENIED,
                        "cannot " + action + ": access to bucket '" + bucket + "' denied ("
                                + s3.awsErrorDetails().errorCode() + ")",
                        e);
            }
            if (status == 404 && "NoSuchBucket".equals(s3.awsErrorDetails().errorCode())) {
                return new GuardianException(
                        Reason.STORE_MISSING_BUCKET,
                        "cannot " + action + ": bucket '" + bucket + "' does not exist",
                        e);
            }
            return new GuardianException(
                    Reason.STORE_UNAVAILABLE,
                    status >= 500,
                    "cannot " + action + ": store answered " + status + " "
                            + s3.awsErrorDetails().errorCode(),
                    e);
        }
        return new GuardianException(
                Reason.STORE_UNAVAILABLE,
                "cannot " + action + ": store unreachable (" + cause.getClass().getSimpleName() + ")",
                e);
    }
}
