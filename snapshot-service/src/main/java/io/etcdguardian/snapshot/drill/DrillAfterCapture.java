package io.etcdguardian.snapshot.drill;

import io.etcdguardian.common.fleet.ClusterSpec;
import io.etcdguardian.common.snapshot.SnapshotManifest;
import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drills a snapshot as soon as it is committed, so that the newest restorable snapshot is minutes
 * old, not one drill interval old: a restore takes {@code latest-verified}. For small and medium
 * databases only ({@code drill-after-capture-max-bytes}, 2 GiB; 0 turns it off): a drill restores the
 * whole database into a scratch etcd, which for a large one is the scheduled drill's job. One drill
 * at a time, off the request's thread (the next backup request does not wait for it); when drills
 * queue up faster than they finish, the scheduled drill picks up the newest one.
 */
@Singleton
public class DrillAfterCapture {
    private static final Logger LOG = LoggerFactory.getLogger(DrillAfterCapture.class);

    private final RestoreDrill drill;
    private final long maxBytes;
    private final ThreadPoolExecutor executor =
            new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(4), r -> {
                Thread t = new Thread(r, "drill-after-capture");
                t.setDaemon(true);
                return t;
            });

    public DrillAfterCapture(
            RestoreDrill drill,
            SnapshotSettings settings,
            @Value("${guardian.snapshot.drill.enabled:true}") boolean drillsEnabled) {
        this.drill = drill;
        this.maxBytes = drillsEnabled ? settings.drillAfterCaptureMaxBytes() : 0;
    }

    /** Queues a drill of a snapshot just committed, when it is small enough to drill now. */
    public void offer(ClusterSpec cluster, SnapshotManifest manifest) {
        if (manifest.sizeRaw() > maxBytes || manifest.drill() != null) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    drill.drillUnlessDrilled(cluster, manifest);
                } catch (RuntimeException e) {
                    LOG.warn(
                            "drill of {} right after its capture did not run ({}); the scheduled drill will",
                            manifest.snapshotId(),
                            e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.info(
                    "drill of {} not queued after capture ({} waiting); the scheduled drill will take the newest",
                    manifest.snapshotId(),
                    executor.getQueue().size());
        }
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
