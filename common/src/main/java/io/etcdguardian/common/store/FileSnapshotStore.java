package io.etcdguardian.common.store;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The store as a directory ({@code store.endpoint: file:///dir}, objects under {@code dir/<bucket>/<key>}):
 * for tests and set-ups that are not about S3. Writes land in a temporary file and are moved into
 * place, so a reader never sees half an object; a conditional write holds a file lock across
 * replicas on one host; multipart parts wait under {@code dir/.uploads} until completed. It cannot
 * hand out URLs: procedures that need one (a restore through a Job or HyperShift) need S3.
 */
final class FileSnapshotStore implements SnapshotStore {
    private final Path root;
    private final Path objects;
    private final Path uploads;

    FileSnapshotStore(Path root, String bucket) {
        this.root = root;
        this.objects = root.resolve(bucket);
        this.uploads = root.resolve(".uploads").resolve(bucket);
    }

    @Override
    public String describe() {
        return objects.toUri().toString();
    }

    private Path path(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.contains("..") || key.indexOf('\0') >= 0) {
            throw new GuardianException(Reason.INVALID_REQUEST, "'" + key + "' is not a store key");
        }
        return objects.resolve(key);
    }

    private static GuardianException unavailable(String action, IOException e) {
        return new GuardianException(Reason.STORE_UNAVAILABLE, "cannot " + action + ": " + e, e);
    }

    @Override
    public List<Entry> list(String prefix) {
        if (!Files.isDirectory(objects)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(objects)) {
            List<Entry> entries = new ArrayList<>();
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String key = objects.relativize(file)
                        .toString()
                        .replace(file.getFileSystem().getSeparator(), "/");
                if (key.startsWith(prefix) && !file.getFileName().toString().startsWith(".tmp-")) {
                    entries.add(new Entry(
                            key,
                            Files.size(file),
                            Files.getLastModifiedTime(file).toInstant()));
                }
            }
            return entries;
        } catch (IOException e) {
            throw unavailable("list " + prefix, e);
        }
    }

    @Override
    public Listing listUpTo(String prefix, String lastKey) {
        List<Entry> all = new ArrayList<>(list(prefix));
        all.sort(java.util.Comparator.comparing(Entry::key));
        List<Entry> upTo =
                all.stream().filter(e -> e.key().compareTo(lastKey) <= 0).toList();
        return new Listing(upTo, upTo.size() < all.size());
    }

    @Override
    public Optional<byte[]> read(String key) {
        return readVersioned(key).map(Versioned::bytes);
    }

    @Override
    public Optional<Versioned> readVersioned(String key) {
        try {
            byte[] bytes = Files.readAllBytes(path(key));
            return Optional.of(new Versioned(bytes, version(bytes)));
        } catch (NoSuchFileException absent) {
            return Optional.empty();
        } catch (IOException e) {
            throw unavailable("read " + key, e);
        }
    }

    @Override
    public InputStream open(String key) {
        try {
            return Files.newInputStream(path(key));
        } catch (NoSuchFileException absent) {
            throw new GuardianException(Reason.NOT_FOUND, "no object " + key + " in " + describe(), absent);
        } catch (IOException e) {
            throw unavailable("read " + key, e);
        }
    }

    @Override
    public Optional<Long> size(String key) {
        Path file = path(key);
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.size(file)) : Optional.empty();
        } catch (IOException e) {
            throw unavailable("find " + key, e);
        }
    }

    @Override
    public void write(String key, byte[] bytes, String contentType) {
        place(key, out -> out.write(bytes));
    }

    @Override
    public void writeFile(String key, Path file) {
        place(key, out -> Files.copy(file, out));
    }

    @Override
    public void writeFileEncryptedAtRest(String key, Path file) {
        throw new GuardianException(
                Reason.INVALID_CONFIG,
                "a directory store cannot encrypt " + key
                        + " at rest; use S3 (or turn guardian.restore.staged-encryption off)");
    }

    @Override
    public boolean expireUnder(String prefix, int days) {
        return false;
    }

    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private void place(String key, Writer writer) {
        Path target = path(key);
        try {
            Files.createDirectories(target.getParent());
            Path temp = target.resolveSibling(".tmp-" + UUID.randomUUID());
            try (OutputStream out = Files.newOutputStream(temp)) {
                writer.write(out);
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw unavailable("write " + key, e);
        }
    }

    @Override
    public boolean compareAndSet(String key, byte[] bytes, String expected) {
        // a file lock excludes other processes only: threads of this one queue on the monitor first
        synchronized (FileSnapshotStore.class) {
            try {
                Files.createDirectories(root);
                try (FileChannel lockFile = FileChannel.open(
                                root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        FileLock lock = lockFile.lock()) {
                    Optional<Versioned> current = readVersioned(key);
                    boolean matches = expected == null
                            ? current.isEmpty()
                            : current.isPresent() && current.get().version().equals(expected);
                    if (!matches) {
                        return false;
                    }
                    write(key, bytes, "application/json");
                    return true;
                }
            } catch (IOException e) {
                throw unavailable("write " + key, e);
            }
        }
    }

    @Override
    public void delete(String key) {
        try {
            Files.deleteIfExists(path(key));
        } catch (IOException e) {
            throw unavailable("delete " + key, e);
        }
    }

    @Override
    public void deleteAll(List<String> keys) {
        keys.forEach(this::delete);
    }

    @Override
    public MultipartWrite startMultipart(String key) {
        path(key);
        String uploadId = UUID.randomUUID().toString();
        Path dir = uploads.resolve(uploadId);
        try {
            Files.createDirectories(dir);
            Properties meta = new Properties();
            meta.setProperty("key", key);
            meta.setProperty("initiated", Instant.now().toString());
            try (OutputStream out = Files.newOutputStream(dir.resolve("upload.properties"))) {
                meta.store(out, null);
            }
        } catch (IOException e) {
            throw unavailable("start upload of " + key, e);
        }
        return new MultipartWrite() {
            @Override
            public String uploadId() {
                return uploadId;
            }

            @Override
            public Part upload(int number, java.nio.ByteBuffer data, String sha256Base64) {
                String actual = SnapshotStore.sha256Base64(data);
                if (!actual.equals(sha256Base64)) {
                    throw new GuardianException(
                            Reason.INTEGRITY_FAILED, "part " + number + " of " + key + " does not match its SHA-256");
                }
                try {
                    Path part = dir.resolve("part-" + number);
                    Path temp = dir.resolve(".tmp-part-" + number + "-" + UUID.randomUUID());
                    try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(
                            temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        java.nio.ByteBuffer remaining = data.duplicate();
                        while (remaining.hasRemaining()) {
                            out.write(remaining);
                        }
                    }
                    Files.move(temp, part, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    return new Part(number, actual, sha256Base64);
                } catch (IOException e) {
                    throw unavailable("upload part " + number + " of " + key, e);
                }
            }

            @Override
            public void complete(List<Part> parts) {
                place(key, out -> {
                    for (Part part : parts) {
                        Files.copy(dir.resolve("part-" + part.number()), out);
                    }
                });
                deleteRecursively(dir);
            }

            @Override
            public void abort() {
                deleteRecursively(dir);
            }
        };
    }

    @Override
    public List<PendingUpload> pendingUploads(String prefix) {
        if (!Files.isDirectory(uploads)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(uploads)) {
            List<PendingUpload> pending = new ArrayList<>();
            for (Path dir : dirs.toList()) {
                Properties meta = new Properties();
                try (InputStream in = Files.newInputStream(dir.resolve("upload.properties"))) {
                    meta.load(in);
                } catch (NoSuchFileException gone) {
                    continue;
                }
                String key = meta.getProperty("key");
                if (key != null && key.startsWith(prefix)) {
                    pending.add(new PendingUpload(
                            key, dir.getFileName().toString(), Instant.parse(meta.getProperty("initiated"))));
                }
            }
            return pending;
        } catch (IOException e) {
            throw unavailable("list uploads under " + prefix, e);
        }
    }

    @Override
    public void abort(PendingUpload upload) {
        deleteRecursively(uploads.resolve(upload.uploadId()));
    }

    @Override
    public URL presignGet(String key, Duration expiry) {
        throw new GuardianException(
                Reason.PRECONDITION_FAILED,
                "a directory store (" + describe() + ") cannot hand"
                        + " out URLs: a restore that fetches through a URL needs an S3 store");
    }

    @Override
    public PresignedPut presignPut(String key, Duration expiry, boolean encryptedAtRest) {
        throw new GuardianException(
                Reason.PRECONDITION_FAILED,
                "a directory store (" + describe() + ") cannot take"
                        + " uploads through URLs: an OpenShift backup set (its static-pod resources come from a node) needs an"
                        + " S3 store");
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A version is the content's digest: any change to the object changes it. */
    private static String version(byte[] bytes) {
        return HexFormat.of().formatHex(Base64.getDecoder().decode(SnapshotStore.sha256Base64(bytes, bytes.length)));
    }
}
