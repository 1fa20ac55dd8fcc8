package io.etcdguardian.cli.wait;

/**
 * Something guardianctl waited for did not come: a deadline passed, a service or Kafka does not
 * answer. guardianctl exits 3 with the message, which says what it waited for and where to look.
 */
public final class NoAnswer extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final int EXIT_CODE = 3;

    public NoAnswer(String message) {
        super(message);
    }

    public NoAnswer(String message, Throwable cause) {
        super(message, cause);
    }
}
