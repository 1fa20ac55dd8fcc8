package io.etcdguardian.backplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory on its own small tmpfs, so that a test can fill a disk for real (ENOSPC) without
 * filling the machine's. Mounting needs root (CI and this machine are); without it the caller
 * gets false and says the case was not run.
 */
public final class SmallDisk {
    private static final Logger LOG = LoggerFactory.getLogger(SmallDisk.class);

    private SmallDisk() {}

    /** {@code size}: as tmpfs takes it, e.g. {@code 24m}. */
    public static boolean mount(Path dir, String size) {
        try {
            Files.createDirectories(dir);
            return run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", dir.toString()) == 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Fills the disk under {@code dir} with a file named {@code filler} until fewer than {@code leave}
     * + 64 KiB bytes are free, or with {@code leave} 0 to the last byte (ENOSPC ends the writing);
     * returns the filler, to be deleted.
     */
    public static Path fill(Path dir, long leave) {
        Path filler = dir.resolve("filler");
        byte[] block = new byte[64 * 1024];
        try (var out = Files.newOutputStream(filler)) {
            while (leave == 0 || Files.getFileStore(dir).getUsableSpace() - block.length >= leave) {
                out.write(block);
            }
        } catch (IOException full) {
            if (leave > 0) { // a full disk is the aim only when nothing is to be left
                throw new UncheckedIOException(full);
            }
        }
        return filler;
    }

    public static void unmount(Path dir) {
        if (run("mountpoint", "-q", dir.toString()) == 0 && run("umount", dir.toString()) != 0) {
            LOG.warn("could not unmount the tmpfs at {}", dir);
        }
    }

    private static int run(String... command) {
        try {
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1; // no mount command: not root, or a minimal image
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
