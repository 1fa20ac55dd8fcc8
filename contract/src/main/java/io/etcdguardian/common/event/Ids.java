package io.etcdguardian.common.event;

import java.util.regex.Pattern;

/**
 * Ids are data, never paths (DESIGN §4.9): every id is checked here before it reaches a file path,
 * an S3 key, a Kubernetes name or a command line. A cluster id is a DNS label (it names objects and
 * prefixes); any other id — event, operation, restore, snapshot — is a short token of letters,
 * digits and {@code . _ : -} that starts with a letter or digit and never holds {@code ..}.
 */
public final class Ids {
    public static final int MAX_ID = 128;
    private static final Pattern CLUSTER = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    private Ids() {}

    public static boolean isClusterId(String value) {
        return value != null && CLUSTER.matcher(value).matches();
    }

    public static boolean isId(String value) {
        return value != null && TOKEN.matcher(value).matches() && !value.contains("..");
    }

    /** The cluster id, or INVALID_REQUEST naming the field. */
    public static String cluster(String value, String field) {
        if (!isClusterId(value)) {
            throw new GuardianException(
                    Reason.INVALID_REQUEST,
                    field + " " + quoted(value)
                            + " is not a cluster id (a DNS label: lowercase letters, digits and '-', at most 63)");
        }
        return value;
    }

    /** The id, or INVALID_REQUEST naming the field. */
    public static String id(String value, String field) {
        if (!isId(value)) {
            throw new GuardianException(
                    Reason.INVALID_REQUEST,
                    field + " " + quoted(value) + " is not a valid id"
                            + " (letters, digits and . _ : -, starting with a letter or digit, no '..', at most "
                            + MAX_ID + ")");
        }
        return value;
    }

    /** Shows a bad value without echoing megabytes or control characters into a log line. */
    static String quoted(String value) {
        if (value == null) {
            return "(missing)";
        }
        String shown = value.length() > 64 ? value.substring(0, 64) + "…(" + value.length() + " chars)" : value;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
