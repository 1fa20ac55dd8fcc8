package io.etcdguardian.snapshot.capture;

import io.etcdguardian.common.event.SnapshotProgress;
import io.etcdguardian.common.kafka.EventPublisher;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a running snapshot's progress once per interval, read from its spool: the capture's
 * and the upload's positions never wait for a report, and a fleet's backplane gets one event per
 * running snapshot per interval whatever the database size.
 */
public final class CaptureProgress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureProgress.class);
    private static final ScheduledExecutorService TICKS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "snapshot-progress");
        thread.setDaemon(true);
        return thread;
    });

    private final EventPublisher events;
    private final String clusterId;
    private final String requestId;
    private final String snapshotId;
    private final Spool spool;
    private final long expected;
    private final Duration interval;
    private final ScheduledFuture<?> ticks;
    private volatile boolean captured;
    private long lastPosition;

    public CaptureProgress(
            EventPublisher events,
            String clusterId,
            String requestId,
            String snapshotId,
            Spool spool,
            long expectedBytes,
            Duration interval) {
        this.events = events;
        this.clusterId = clusterId;
        this.requestId = requestId;
        this.snapshotId = snapshotId;
        this.spool = spool;
        this.expected = expectedBytes;
        this.interval = interval;
        this.ticks = TICKS.scheduleAtFixedRate(
                this::report, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The capture ended: from now on the rate and the time left are the upload's. */
    public void captured() {
        captured = true;
    }

    private void report() {
        try {
            long written = spool.written();
            long uploaded = spool.tailed();
            boolean uploading = captured;
            // the stream can end a little past the size etcd reported at the start: the total is never below it
            long total = uploading ? written : Math.max(expected, written);
            long position = uploading ? uploaded : written;
            long rate = Math.max(0, position - lastPosition) * 1000 / Math.max(1, interval.toMillis());
            lastPosition = position;
            Long eta = rate > 0 ? Math.max(0, total - position) / rate : null;
            events.publish(new SnapshotProgress(
                    clusterId, requestId, snapshotId, written, uploaded, total, rate, eta, Instant.now()));
        } catch (RuntimeException e) {
            LOG.debug("progress of snapshot {} not published: {}", snapshotId, e.toString()); // a side channel
        }
    }

    @Override
    public void close() {
        ticks.cancel(false);
    }
}
