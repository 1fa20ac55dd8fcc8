package io.etcdguardian.cli.options;

import io.etcdguardian.common.event.BackupRequested;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --to-revision R | --to-time T}: the cluster as it was then, made from a snapshot and the journal
 * (the journal must be on: {@code guardian.journal.enabled}). A picocli {@code @ArgGroup(exclusive = true)}:
 * null when neither is given.
 */
public final class PointInTimeOptions {
    @Option(
            names = "--to-revision",
            paramLabel = "R",
            description = "The cluster as it was at etcd revision R (from the newest snapshot at or before it"
                    + " and the journal).")
    Long revision;

    @Option(
            names = "--to-time",
            paramLabel = "T",
            converter = Time.class,
            description = "The cluster as it was at time T (ISO-8601, e.g. 2026-12-01T06:00:00Z): its last"
                    + " revision received at or before T.")
    Instant time;

    public BackupRequested request(String cluster, String requestedBy) {
        if (revision != null && revision < 1) {
            throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this), "--to-revision must be 1 or more, not " + revision);
        }
        return BackupRequested.pointInTime(
                cluster, revision, time, requestedBy + " point in time " + describe(), requestedBy);
    }

    public String describe() {
        return revision != null ? "revision " + revision : "time " + time;
    }

    /** An instant with its offset: {@code 2026-12-01T06:00:00Z} or {@code 2026-12-01T07:00:00+01:00}. */
    public static final class Time implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return OffsetDateTime.parse(value).toInstant();
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + value.replaceAll("\\p{Cntrl}", "?")
                        + "' is not a time with its offset, e.g. 2026-12-01T06:00:00Z");
            }
        }
    }
}
