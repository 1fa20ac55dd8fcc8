package io.etcdguardian.backplane;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the Kafka broker and S3Proxy jars are: collected by the `backplane-components` module at build
 * time (`-Dguardian.components.dir` or `GUARDIAN_COMPONENTS_DIR` override the search).
 */
public final class Components {
    private static final Path RELATIVE = Path.of("backplane-components", "target", "components");

    private Components() {}

    public static Path dir() {
        String configured = System.getProperty("guardian.components.dir", System.getenv("GUARDIAN_COMPONENTS_DIR"));
        if (configured != null && !configured.isBlank()) {
            return requireBuilt(Path.of(configured));
        }
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            Path candidate = at.resolve(RELATIVE);
            if (Files.isDirectory(candidate)) {
                return requireBuilt(candidate);
            }
        }
        throw new IllegalStateException(
                "cannot find " + RELATIVE + " above " + Path.of("").toAbsolutePath()
                        + ": build it with `mvn -pl backplane-components package` or set GUARDIAN_COMPONENTS_DIR");
    }

    private static Path requireBuilt(Path dir) {
        if (!Files.isDirectory(dir.resolve("kafka")) || !Files.isRegularFile(dir.resolve("s3proxy/s3proxy.jar"))) {
            throw new IllegalStateException(
                    dir + " lacks kafka/ or s3proxy/s3proxy.jar: run `mvn -pl backplane-components package`");
        }
        return dir;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
