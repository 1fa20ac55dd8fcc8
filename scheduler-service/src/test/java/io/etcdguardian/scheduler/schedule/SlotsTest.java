package io.etcdguardian.scheduler.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcdguardian.common.fleet.ScheduleSpec;
import io.etcdguardian.common.fleet.TimeWindow;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlotsTest {

    @Test
    void dayOfMonthAndDayOfWeekAreOredLikeVixieCron() {
        // "at midnight on the 1st, and on every Monday" — December 2026: Tue 1st, Mondays 7, 14, 21, 28
        Slots slots = new Slots("c", new ScheduleSpec("0 0 1 * 1", "UTC", null));
        assertThat(slots.between(Instant.parse("2026-11-30T12:00:00Z"), Instant.parse("2026-12-31T00:00:00Z")))
                .extracting(Instant::toString)
                .containsExactly(
                        "2026-12-01T00:00:00Z",
                        "2026-12-07T00:00:00Z",
                        "2026-12-14T00:00:00Z",
                        "2026-12-21T00:00:00Z",
                        "2026-12-28T00:00:00Z");
    }

    @Test
    void slotsFollowTheScheduleTimeZoneAcrossDaylightSaving() {
        // 02:30 every day in Berlin; on 2027-03-28 the clocks jump from 02:00 to 03:00
        Slots slots = new Slots("c", new ScheduleSpec("30 2 * * *", "Europe/Berlin", null));
        List<Instant> march =
                slots.between(Instant.parse("2027-03-26T00:00:00Z"), Instant.parse("2027-03-30T00:00:00Z"));
        assertThat(march)
                .extracting(
                        i -> i.atZone(ZoneId.of("Europe/Berlin")).toLocalTime().toString())
                .allMatch(t -> t.equals("02:30") || t.equals("03:30"));
        assertThat(march.get(0)).isEqualTo(Instant.parse("2027-03-26T01:30:00Z"));
    }

    @Test
    void jitterIsDeterministicPerClusterAndSlotAndWithinRange() {
        ScheduleSpec spec = new ScheduleSpec("0 * * * *", "UTC", Duration.ofMinutes(10));
        Instant slot = Instant.parse("2026-11-23T06:00:00Z");
        Instant a = new Slots("alpha", spec).dueAt(slot);
        assertThat(new Slots("alpha", spec).dueAt(slot)).isEqualTo(a);
        assertThat(Duration.between(slot, a)).isBetween(Duration.ZERO, Duration.ofMinutes(10));
        long distinct = java.util.stream.IntStream.range(0, 50)
                .mapToObj(i -> new Slots("cluster-" + i, spec).dueAt(slot))
                .distinct()
                .count();
        assertThat(distinct).isGreaterThan(40);
    }

    @Test
    void aSlotOutsideThePreferredWindowsIsDeferredToTheNextWindow() {
        ScheduleSpec spec = new ScheduleSpec("0 */4 * * *", "UTC", null, null, List.of("22:00-04:00"));
        Slots slots = new Slots("c", spec);
        assertThat(slots.dueAt(Instant.parse("2026-11-23T12:00:00Z"))).isEqualTo(Instant.parse("2026-11-23T22:00:00Z"));
        assertThat(slots.dueAt(Instant.parse("2026-11-24T00:00:00Z"))).isEqualTo(Instant.parse("2026-11-24T00:00:00Z"));
    }

    @Test
    void windowsParseDaysAndCrossMidnight() {
        TimeWindow office = TimeWindow.parse("Mon-Fri 08:00-18:00");
        ZoneId utc = ZoneId.of("UTC");
        assertThat(office.contains(ZonedDateTime.parse("2026-11-23T09:00:00Z").withZoneSameInstant(utc)))
                .isTrue();
        assertThat(office.contains(ZonedDateTime.parse("2026-11-22T09:00:00Z").withZoneSameInstant(utc)))
                .isFalse();
        TimeWindow night = TimeWindow.parse("Sat 22:00-02:00");
        assertThat(night.contains(ZonedDateTime.parse("2026-11-28T23:00:00Z"))).isTrue();
        assertThat(night.contains(ZonedDateTime.parse("2026-11-29T01:00:00Z"))).isTrue();
        assertThat(night.contains(ZonedDateTime.parse("2026-11-29T03:00:00Z"))).isFalse();
        assertThat(TimeWindow.parse("00:00-24:00").contains(ZonedDateTime.parse("2026-11-29T23:59:00Z")))
                .isTrue();
        assertThatThrownBy(() -> TimeWindow.parse("Funday 08:00-09:00")).hasMessageContaining("'Funday'");
        assertThatThrownBy(() -> TimeWindow.parse("8 to 9")).hasMessageContaining("is not a window");
    }
}
