package io.etcdguardian.common.operation;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;

/**
 * This replica no longer holds the operation's lease: another one took the operation over. The
 * work stops where it is and publishes no outcome — the new holder owns the operation now.
 */
public class LeaseLostException extends GuardianException {
    private static final long serialVersionUID = 1L;

    public LeaseLostException(String message) {
        super(Reason.BUSY, false, message, null);
    }
}
