package io.etcdguardian.common.snapshot;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A key and the keys it replaced: new objects are encrypted with {@link #current()}; an object names
 * the key id it was encrypted with, and {@link #require} finds that one, so a rotation never strands
 * what was written before it.
 */
public final class Keyring {
    private final SnapshotEncryption current;
    private final Map<String, SnapshotEncryption> byId = new LinkedHashMap<>();

    public Keyring(SnapshotEncryption current, List<SnapshotEncryption> previous) {
        this.current = current;
        byId.put(current.keyId(), current);
        for (SnapshotEncryption older : previous) {
            if (byId.putIfAbsent(older.keyId(), older) != null) {
                throw new GuardianException(
                        Reason.INVALID_CONFIG,
                        "key id " + older.keyId() + " appears twice in one keyring: each key needs its own keyId");
            }
        }
    }

    public SnapshotEncryption current() {
        return current;
    }

    /** The key {@code keyId}, or a refusal naming the keys this ring has ({@code what}: whose key it is). */
    public SnapshotEncryption require(String keyId, String what) {
        SnapshotEncryption key = byId.get(keyId);
        if (key == null) {
            throw new GuardianException(
                    Reason.PRECONDITION_FAILED,
                    what + " was encrypted with key " + keyId + ", which is not in the keyring " + byId.keySet()
                            + ": add it under previous");
        }
        return key;
    }

    public boolean shares(Keyring other) {
        return byId.values().stream()
                .anyMatch(k -> other.byId.values().stream()
                        .anyMatch(o -> o.fingerprint().equals(k.fingerprint())));
    }
}
