package io.etcdguardian.common.event;

/**
 * A failure with a {@link Reason} and whether trying again may help. Messages must never carry
 * secrets: they end up in events and logs.
 */
public class GuardianException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Reason reason;
    private final boolean retriable;

    public GuardianException(Reason reason, String message) {
        this(reason, reason.retriableByDefault(), message, null);
    }

    public GuardianException(Reason reason, String message, Throwable cause) {
        this(reason, reason.retriableByDefault(), message, cause);
    }

    public GuardianException(Reason reason, boolean retriable, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.retriable = retriable;
    }

    public Reason reason() {
        return reason;
    }

    public boolean retriable() {
        return retriable;
    }

    /** The reason of any throwable: ours carry one, anything else is INTERNAL. */
    public static Reason reasonOf(Throwable t) {
        for (Throwable at = t; at != null; at = at.getCause()) {
            if (at instanceof GuardianException g) {
                return g.reason();
            }
        }
        return Reason.INTERNAL;
    }

    public static boolean isRetriable(Throwable t) {
        for (Throwable at = t; at != null; at = at.getCause()) {
            if (at instanceof GuardianException g) {
                return g.retriable();
            }
        }
        return false;
    }
}
