package io.etcdguardian.cli.options;

import io.etcdguardian.common.event.Ids;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Ids typed on a command line are checked where they are parsed (exit 2, the rule named) — before
 * they reach a URL path, where "../" would name another endpoint, or an event.
 */
public final class IdArgs {
    private IdArgs() {}

    /** A cluster id: a DNS label. */
    public static final class Cluster implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!Ids.isClusterId(value)) {
                throw new TypeConversionException(shown(value) + " is not a cluster id (a DNS label: lowercase letters,"
                        + " digits and '-', at most 63)");
            }
            return value;
        }
    }

    /** A snapshot, restore or operation id (also latest, latest-verified). */
    public static final class Id implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!Ids.isId(value)) {
                throw new TypeConversionException(shown(value) + " is not an id (letters, digits and . _ : -, starting"
                        + " with a letter or digit, no '..', at most " + Ids.MAX_ID + ")");
            }
            return value;
        }
    }

    private static String shown(String value) {
        String cut = value.length() > 64 ? value.substring(0, 64) + "…(" + value.length() + " chars)" : value;
        return "'" + cut.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
