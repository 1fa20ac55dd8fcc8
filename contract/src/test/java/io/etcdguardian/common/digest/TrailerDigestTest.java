package io.etcdguardian.common.digest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A stream shaped like etcd's (a multiple of 512 bytes, then the SHA-256 of them) checks out
 * whether it arrives through {@link TrailerDigest#write} or {@link TrailerDigest#digest} (read-only
 * buffers, as gRPC messages hand them over), in any chunking, including chunks shorter than the
 * trailer and chunks that split it; one flipped byte fails it either way.
 */
class TrailerDigestTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 31, 32, 33, 512, 4096, 32 * 1024, 100_000})
    void checksOutInAnyChunkingThroughEitherPath(int chunk) throws Exception {
        byte[] stream = etcdLike(20 * 512);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        TrailerDigest viaWrite = new TrailerDigest(written);
        TrailerDigest viaBuffers = new TrailerDigest(java.io.OutputStream.nullOutputStream());
        for (int off = 0; off < stream.length; off += chunk) {
            int len = Math.min(chunk, stream.length - off);
            viaWrite.write(stream, off, len);
            ByteBuffer message = ByteBuffer.wrap(stream, off, len).asReadOnlyBuffer();
            viaBuffers.digest(message);
            assertThat(message.remaining())
                    .as("the buffer's position is left as it was")
                    .isEqualTo(len);
        }
        assertThat(written.toByteArray()).isEqualTo(stream);
        String expected = viaWrite.check();
        assertThat(viaBuffers.check()).isEqualTo(expected);
        assertThat(viaBuffers.total()).isEqualTo(stream.length);
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 32 * 1024})
    void oneFlippedByteFailsTheBufferPath(int chunk) {
        byte[] stream = etcdLike(8 * 512);
        stream[1000] ^= 0x40;
        TrailerDigest digest = new TrailerDigest(java.io.OutputStream.nullOutputStream());
        for (int off = 0; off < stream.length; off += chunk) {
            digest.digest(ByteBuffer.wrap(stream, off, Math.min(chunk, stream.length - off))
                    .asReadOnlyBuffer());
        }
        assertThatThrownBy(digest::check)
                .isInstanceOf(TrailerDigest.IntegrityException.class)
                .hasMessageContaining("differs from its trailer");
    }

    private static byte[] etcdLike(int body) {
        byte[] stream = new byte[body + TrailerDigest.TRAILER];
        new Random(body).nextBytes(stream);
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOf(stream, body));
            System.arraycopy(sha, 0, stream, body, TrailerDigest.TRAILER);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return stream;
    }
}
