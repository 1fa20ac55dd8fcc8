package io.etcdguardian.restore.plan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The digest of a plan as an operator saw it: snapshot, procedure, overrides and every step with
 * exactly what it touches. A destructive restore must carry the digest of the plan it was shown; a
 * request whose digest does not match what would run now (the snapshot, the cluster or the fleet
 * changed, or an old request is replayed) is refused. The restore's own id is left out (names derived
 * from it are replaced by a placeholder), so the dry run and the real run of one plan agree.
 */
public final class PlanDigest {
    private PlanDigest() {}

    public static String of(
            String snapshotId,
            String target,
            List<String> overrides,
            List<RestoreStep> steps,
            String restoreId,
            String shortId) {
        StringBuilder text = new StringBuilder()
                .append(snapshotId)
                .append('\n')
                .append(target)
                .append('\n')
                .append(String.join(",", overrides))
                .append('\n');
        for (RestoreStep step : steps) {
            text.append(step.name()).append(step.manual() ? " [manual]" : "").append('\n');
            step.touches()
                    .forEach(t -> text.append("  ")
                            .append(t.replace(restoreId, "<restore>").replace(shortId, "<restore>"))
                            .append('\n'));
        }
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
