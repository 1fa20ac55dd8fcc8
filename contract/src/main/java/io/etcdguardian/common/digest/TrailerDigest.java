package io.etcdguardian.common.digest;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Passes the snapshot stream through while hashing all of it but the last 32 bytes, which it keeps:
 * etcd ends the stream with the SHA-256 of everything before it, and a stream that is truncated or
 * corrupted anywhere fails {@link #check()}. Memory: 32 bytes, whatever the size.
 */
public final class TrailerDigest extends FilterOutputStream {
    public static final int TRAILER = 32;

    private final MessageDigest sha256;
    private final byte[] tail = new byte[TRAILER];
    private int tailLength;
    private long total;

    public TrailerDigest(OutputStream out) {
        super(out);
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        digest(ByteBuffer.wrap(b, off, len));
    }

    /**
     * Takes {@code chunk}'s remaining bytes into the digest as {@link #write} does, without writing
     * them anywhere (the caller writes them itself, off the heap, say); its position is left as it is.
     */
    public void digest(ByteBuffer chunk) {
        int len = chunk.remaining();
        total += len;
        if (len >= TRAILER) {
            sha256.update(tail, 0, tailLength);
            ByteBuffer body = chunk.duplicate();
            body.limit(body.position() + len - TRAILER);
            sha256.update(body);
            chunk.duplicate().position(chunk.position() + len - TRAILER).get(tail, 0, TRAILER);
            tailLength = TRAILER;
            return;
        }
        int overflow = tailLength + len - TRAILER;
        if (overflow > 0) {
            sha256.update(tail, 0, overflow);
            System.arraycopy(tail, overflow, tail, 0, tailLength - overflow);
            tailLength -= overflow;
        }
        chunk.duplicate().get(tail, tailLength, len);
        tailLength += len;
    }

    public long total() {
        return total;
    }

    /** Checks length and trailer; returns the SHA-256 (hex) on success. Call once, after the last write. */
    public String check() throws IntegrityException {
        if (total < TRAILER || total % 512 != TRAILER) {
            throw new IntegrityException("stream of " + total + " bytes is not 32 more than a multiple of 512:"
                    + " truncated or not an etcd snapshot");
        }
        byte[] digest = sha256.digest();
        if (!MessageDigest.isEqual(digest, tail)) {
            throw new IntegrityException(
                    "SHA-256 of the stream " + HexFormat.of().formatHex(digest) + " differs from its trailer "
                            + HexFormat.of().formatHex(tail) + ": corrupted in transit or on disk");
        }
        return HexFormat.of().formatHex(digest);
    }

    /** The stream failed its integrity check. */
    public static final class IntegrityException extends Exception {
        private static final long serialVersionUID = 1L;

        public IntegrityException(String message) {
            super(message);
        }
    }
}
