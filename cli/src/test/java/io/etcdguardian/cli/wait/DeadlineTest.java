package io.etcdguardian.cli.wait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeadlineTest {

    @Test
    void anAutomaticDeadlineGrowsWithTheWorkAndNeverShrinks() {
        Deadline deadline = Deadline.auto(Duration.ofMinutes(2), 8L << 20);
        assertThat(deadline.total()).isBetween(Duration.ofSeconds(119), Duration.ofSeconds(120));
        deadline.sizeFor(1L << 30); // 1 GiB at 8 MiB/s: 128 s more
        assertThat(deadline.total()).isBetween(Duration.ofSeconds(247), Duration.ofSeconds(249));
        deadline.sizeFor(1L << 20);
        assertThat(deadline.total())
                .as("a smaller piece of work later does not cut it short")
                .isGreaterThan(Duration.ofSeconds(247));
        assertThat(deadline.describe()).contains("auto: 2m + 1s per 8 MiB");
    }

    @Test
    void theOperatorsTimeoutIsNotResized() {
        Deadline deadline = Deadline.fixed(Duration.ofSeconds(30)).sizeFor(1L << 40);
        assertThat(deadline.total()).isBetween(Duration.ofSeconds(29), Duration.ofSeconds(30));
        assertThat(deadline.describe()).isEqualTo("within 30s (--timeout)");
        assertThat(Deadline.fixed(Duration.ZERO).passed()).isTrue();
        assertThat(Deadline.fixed(Duration.ZERO).left(Duration.ofSeconds(2))).isZero();
    }

    @Test
    void durationsAsOperatorsTypeThem() {
        assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("600"))
                .as("plain seconds, as --timeout took before")
                .isEqualTo(Duration.ofMinutes(10));
        assertThat(Durations.parse("PT2H")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> Durations.parse("ten minutes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'ten minutes' is not a duration");
        assertThat(Durations.format(Duration.ofSeconds(250))).isEqualTo("4m10s");
        assertThat(Durations.format(Duration.ofMillis(535))).isEqualTo("535ms");
    }
}
