package io.etcdguardian.cli.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * guardianctl's own config, as kubeconfig is kubectl's: named contexts (where Kafka is and how to
 * reach it securely, where the services answer, which fleet file) and the current one. Secrets
 * stay out of it: Kafka's SASL/TLS passwords live in a client properties file it names.
 *
 * <pre>
 * currentContext: prod
 * contexts:
 *   - name: prod
 *     kafka:
 *       bootstrapServers: kafka.guardian:9093
 *       properties: { security.protocol: SASL_SSL, sasl.mechanism: SCRAM-SHA-512 }
 *       propertiesFile: ~/.config/guardian/prod-kafka.properties   # sasl.jaas.config, ssl.* passwords
 *     snapshotUrl: https://snapshot.guardian.example
 *     restoreUrl: https://restore.guardian.example
 *     fleetFile: ~/fleet/prod.yaml
 *     tokenFile: ~/.config/guardian/prod.token      # the bearer token the services know this caller by
 * </pre>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GuardianConfig(String currentContext, List<Context> contexts) {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setPropertyNamingStrategy(PropertyNamingStrategies.LOWER_CAMEL_CASE);

    /** One place etcd-guardian runs. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Context(
            String name, Kafka kafka, String snapshotUrl, String restoreUrl, String fleetFile, String tokenFile) {}

    /** How to reach its Kafka. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Kafka(String bootstrapServers, Map<String, String> properties, String propertiesFile) {

        /** The client settings: the inline ones, then the file's (which may hold secrets). */
        public Map<String, String> clientProperties() {
            Map<String, String> all = new LinkedHashMap<>(properties == null ? Map.of() : properties);
            if (propertiesFile != null) {
                Path file = expand(propertiesFile);
                Properties loaded = new Properties();
                try (InputStream in = Files.newInputStream(file)) {
                    loaded.load(in);
                } catch (IOException e) {
                    throw new IllegalArgumentException(
                            "kafka.propertiesFile " + file + " cannot be read: " + e.getMessage(), e);
                }
                loaded.stringPropertyNames().forEach(k -> all.put(k, loaded.getProperty(k)));
            }
            return all;
        }
    }

    public GuardianConfig {
        contexts = contexts == null ? List.of() : List.copyOf(contexts);
    }

    /**
     * $GUARDIAN_CONFIG (or the system property guardian.config), else
     * $XDG_CONFIG_HOME/guardian/config.yaml, else ~/.config/guardian/config.yaml.
     */
    public static Path location() {
        String given = System.getProperty("guardian.config", System.getenv("GUARDIAN_CONFIG"));
        if (given != null && !given.isBlank()) {
            return Path.of(given);
        }
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("guardian").resolve("config.yaml");
    }

    /** The config at {@code file}; none there is an empty config, a broken one an error naming the file. */
    public static GuardianConfig load(Path file) {
        if (!Files.exists(file)) {
            return new GuardianConfig(null, List.of());
        }
        try {
            GuardianConfig config = YAML.readValue(file.toFile(), GuardianConfig.class);
            return config == null ? new GuardianConfig(null, List.of()) : config;
        } catch (IOException e) {
            throw new IllegalArgumentException("guardianctl config " + file + " is not valid: " + e.getMessage(), e);
        }
    }

    /** Written whole to a temporary file and moved into place: an interrupted write never leaves half a config. */
    public void save(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "config", ".yaml.tmp");
            YAML.writeValue(tmp.toFile(), this);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public Optional<Context> context(String name) {
        return contexts.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** The context asked for (--context, $GUARDIAN_CONTEXT), else the current one, else none. */
    public Optional<Context> selected(String asked) {
        String name = asked != null && !asked.isBlank() ? asked : currentContext;
        if (name == null) {
            return Optional.empty();
        }
        return Optional.of(context(name)
                .orElseThrow(() -> new IllegalArgumentException("no context '" + name + "' in " + location()
                        + " (guardianctl config get-contexts lists them)")));
    }

    public GuardianConfig with(Context context) {
        List<Context> all = new ArrayList<>(
                contexts.stream().filter(c -> !c.name().equals(context.name())).toList());
        all.add(context);
        return new GuardianConfig(currentContext, all);
    }

    public GuardianConfig using(String name) {
        if (context(name).isEmpty()) {
            throw new IllegalArgumentException("no context '" + name + "' in " + location());
        }
        return new GuardianConfig(name, contexts);
    }

    public static Path expand(String path) {
        return path.startsWith("~/") ? Path.of(System.getProperty("user.home"), path.substring(2)) : Path.of(path);
    }
}
