package io.etcdguardian.common.kafka;

import io.etcdguardian.common.security.OwnerOnlyFile;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * How a local backplane tells its clients where its broker is and who they are there:
 * {@code kafka-clients/USER.properties} under its state directory (bootstrap.servers and the user's
 * client settings, owner-only). The backplane writes them; guardianctl reads them as files, so it
 * carries none of the backplane's classes.
 */
public final class LocalClientFiles {
    public static final String DIR = "kafka-clients";
    /** The client file of a client that is no user (a plaintext broker takes anyone). */
    public static final String ANONYMOUS = "anonymous";

    private LocalClientFiles() {}

    public static Path of(Path state, String user) {
        return state.resolve(DIR).resolve(user + ".properties");
    }

    public static void write(Path state, String user, Map<String, String> settings) throws IOException {
        Properties client = new Properties();
        client.putAll(settings);
        OwnerOnlyFile.write(
                of(state, user),
                out -> client.store(out, "how " + user + " reaches the local broker; written by the backplane"));
    }

    /** The settings of the first of {@code users} that has a readable file under {@code state}. */
    public static Optional<Map<String, String>> read(Path state, String... users) {
        for (String user : users) {
            Path file = of(state, user);
            if (Files.isReadable(file)) {
                Properties client = new Properties();
                try (Reader in = Files.newBufferedReader(file)) {
                    client.load(in);
                } catch (IOException e) {
                    throw new UncheckedIOException("unreadable " + file + "; ./guardian up writes it again", e);
                }
                Map<String, String> settings = new HashMap<>();
                client.stringPropertyNames().forEach(key -> settings.put(key, client.getProperty(key)));
                return Optional.of(settings);
            }
        }
        return Optional.empty();
    }
}
