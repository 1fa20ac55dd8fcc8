package io.etcdguardian.snapshot.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcdguardian.snapshot.config.SnapshotSettings;
import io.micronaut.context.ApplicationContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Upload buffers fitted into 40% of the heap: the defaults (4 streams × 4 × 8 MiB) where they fit, less where not. */
class UploadMemoryTest {
    private static final long MIB = 1024 * 1024;

    private static SnapshotSettings defaults() {
        try (ApplicationContext context = ApplicationContext.run(
                Map.of("guardian.topics.create", "false", "kafka.bootstrap.servers", "127.0.0.1:1"))) {
            return context.getBean(SnapshotSettings.class);
        }
    }

    @Test
    void theDefaultsFitAHalfGigabyteHeap() {
        UploadMemory fitted = UploadMemory.fit(defaults(), 512 * MIB);
        assertThat(fitted).isEqualTo(new UploadMemory(8 * (int) MIB, 3, 4));
        assertThat(fitted.bytes()).isEqualTo(128 * MIB);
    }

    @Test
    void underSixtyFourMegabytesOneUploadStreamsInFiveMegabyteParts() {
        UploadMemory fitted = UploadMemory.fit(defaults(), 64 * MIB);
        assertThat(fitted).isEqualTo(new UploadMemory(UploadMemory.MIN_PART, 3, 1));
        assertThat(fitted.bytes()).isLessThanOrEqualTo((long) (64 * MIB * UploadMemory.HEAP_SHARE));
    }

    @Test
    void aTinyHeapKeepsOnePartFillingAndOneInFlight() {
        assertThat(UploadMemory.fit(defaults(), 16 * MIB)).isEqualTo(new UploadMemory(UploadMemory.MIN_PART, 1, 1));
    }
}
