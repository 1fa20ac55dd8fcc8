package io.etcdguardian.snapshot.store;

import io.etcdguardian.snapshot.config.SnapshotSettings;

/**
 * The part buffers of uploads are direct (off-heap) buffers: at most {@code streams × (inFlight + 1)
 * × partSize} bytes, fitted into 40% of the direct memory limit — the heap's size unless
 * {@code -XX:MaxDirectMemorySize} says otherwise, shared with gRPC's and Kafka's network buffers.
 * Under a small {@code -Xmx} the configured 4 × 4 × 8 MiB made the heap thrash and the capture
 * crawl until its deadline: fewer uploads streaming at once first (the others' captures go on into
 * the spool), then smaller parts down to S3's 5 MiB, then fewer parts in flight.
 */
record UploadMemory(int partSize, int inFlight, int streams) {
    static final int MIN_PART = 5 * 1024 * 1024;
    static final double HEAP_SHARE = 0.4;

    static UploadMemory fit(SnapshotSettings settings, long maxHeap) {
        long budget = (long) (maxHeap * HEAP_SHARE);
        int part = settings.partSizeBytes();
        int inFlight = settings.uploadConcurrency();
        int streams = settings.uploadStreams();
        while ((long) streams * (inFlight + 1) * part > budget) {
            if (streams > 1) {
                streams--;
            } else if (part > MIN_PART) {
                part = Math.max(MIN_PART, part / 2);
            } else if (inFlight > 1) {
                inFlight--;
            } else {
                break; // one part filling and one in flight: the least an upload can do
            }
        }
        return new UploadMemory(part, inFlight, streams);
    }

    long bytes() {
        return (long) streams * (inFlight + 1) * partSize;
    }
}
