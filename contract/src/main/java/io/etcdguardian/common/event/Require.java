package io.etcdguardian.common.event;

/** Checks for required event fields; the message names the field, which is what a DLQ reader needs. */
final class Require {
    private Require() {}

    static String text(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing required field '" + field + "'");
        }
        return value;
    }

    static <T> T present(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("missing required field '" + field + "'");
        }
        return value;
    }
}
