package io.etcdguardian.snapshot.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JournalSettingsTest {
    private static JournalSettings with(long segmentBytes, long maxBufferedBytes) {
        return with(segmentBytes, maxBufferedBytes, Duration.ofDays(7));
    }

    private static JournalSettings with(long segmentBytes, long maxBufferedBytes, Duration retention) {
        return new JournalSettings(
                true,
                Duration.ofSeconds(2),
                segmentBytes,
                maxBufferedBytes,
                Duration.ofSeconds(2),
                4,
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                retention);
    }

    @Test
    void unsetSizesComeFromTheHeapSoThatASmallHeapIsNotOutgrownByWhatIsBuffered() {
        JournalSettings settings = with(0, 0);
        long heap = Runtime.getRuntime().maxMemory();
        assertThat(settings.maxBufferedBytes()).isEqualTo(heap / 4);
        assertThat(settings.segmentBytes())
                .isBetween(1L << 20, 16L << 20)
                .isLessThanOrEqualTo(Math.max(1L << 20, heap / 32));
    }

    @Test
    void aBufferThatCannotHoldTwoSegmentsIsRefusedWithItsKey() {
        assertThatThrownBy(() -> with(8L << 20, 8L << 20))
                .hasMessageStartingWith("guardian.journal.max-buffered-bytes: must be at least twice segment-bytes");
        assertThatThrownBy(() -> with(1000, 0)).hasMessageStartingWith("guardian.journal.segment-bytes:");
    }

    @Test
    void aJournalKeptForNoTimeIsRefusedWithItsKey() {
        assertThatThrownBy(() -> with(0, 0, Duration.ZERO))
                .hasMessage("guardian.journal.retention: must be at least 1s");
    }
}
