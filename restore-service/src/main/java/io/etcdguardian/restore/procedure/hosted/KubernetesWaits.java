package io.etcdguardian.restore.procedure.hosted;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import io.etcdguardian.restore.config.RestoreSettings;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.function.Supplier;

/** Waits for a controller to bring the cluster where a step left it, within {@code wait-timeout}. */
@Singleton
public class KubernetesWaits {
    private final RestoreSettings settings;

    public KubernetesWaits(RestoreSettings settings) {
        this.settings = settings;
    }

    /** Polls {@code done} until true; fails naming {@code what} and the last {@code state} seen. */
    public void until(String what, Supplier<Boolean> done, Supplier<String> state) {
        Instant deadline = Instant.now().plus(settings.waitTimeout());
        while (!done.get()) {
            if (Instant.now().isAfter(deadline)) {
                throw new GuardianException(
                        Reason.TIMEOUT,
                        "waited " + settings.waitTimeout() + " for " + what + " (now: " + state.get() + ")");
            }
            try {
                Thread.sleep(settings.waitInterval().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GuardianException(Reason.INTERNAL, "interrupted waiting for " + what, e);
            }
        }
    }
}
