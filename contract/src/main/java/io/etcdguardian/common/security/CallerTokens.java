package io.etcdguardian.common.security;

import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The callers that may use a service's HTTP API: {@code guardian.security.tokens-file} (mounted from a
 * Secret), one caller per line — {@code NAME ROLE[,ROLE] sha256:HEX} — holding the SHA-256 of each
 * token, never the token: whoever reads the file (or the Secret) cannot call the API with it. The file
 * is re-read when it changes, so a token is revoked by removing its line. Without a file no caller is
 * known and every endpoint but health and metrics answers 401.
 */
@Singleton
public class CallerTokens {
    private static final Logger LOG = LoggerFactory.getLogger(CallerTokens.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One caller. */
    public record Caller(String name, Set<String> roles, byte[] sha256) {}

    private final Path file;
    private volatile List<Caller> callers = List.of();
    private volatile FileTime stamp;

    @Inject
    public CallerTokens(SecuritySettings settings) {
        this(settings.tokensFile());
    }

    CallerTokens(@Nullable String file) {
        this.file = file == null || file.isBlank() ? null : Path.of(file);
        if (this.file == null) {
            LOG.warn("no guardian.security.tokens-file: every endpoint but health and metrics answers 401");
        } else {
            callers = parse(read(this.file), this.file.toString()); // a broken file fails the start-up
        }
    }

    /** The caller whose token this is; compared in constant time against every caller. */
    public Optional<Caller> caller(String token) {
        reloadIfChanged();
        byte[] digest = sha256(token);
        Caller found = null;
        for (Caller caller : callers) {
            if (MessageDigest.isEqual(caller.sha256(), digest)) {
                found = caller;
            }
        }
        return Optional.ofNullable(found);
    }

    /** A new random token and the line that grants it {@code roles} (the line goes into the file, the token to the caller). */
    public static String[] issue(String name, Set<String> roles) {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String token = "gdn_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        return new String[] {token, line(name, roles, token)};
    }

    /**
     * Issues a token per caller and writes the tokens file (owner-only, replaced whole): caller name →
     * its token, for whoever hands the tokens out (the local stack, a test).
     */
    public static java.util.Map<String, String> writeFile(Path target, java.util.Map<String, Set<String>> callers)
            throws IOException {
        java.util.Map<String, String> tokens = new java.util.LinkedHashMap<>();
        StringBuilder lines =
                new StringBuilder("# callers (guardian.security.tokens-file): NAME ROLES sha256:TOKEN-HASH\n");
        callers.forEach((name, roles) -> {
            String[] issued = issue(name, roles);
            tokens.put(name, issued[0]);
            lines.append(issued[1]).append('\n');
        });
        OwnerOnlyFile.write(target, lines.toString());
        return tokens;
    }

    public static String line(String name, Set<String> roles, String token) {
        return name + " " + String.join(",", new java.util.TreeSet<>(roles)) + " sha256:"
                + HexFormat.of().formatHex(sha256(token));
    }

    static List<Caller> parse(String text, String source) {
        List<Caller> parsed = new ArrayList<>();
        int number = 0;
        for (String raw : text.split("\n")) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            String where = source + " line " + number + ": ";
            if (parts.length != 3 || !parts[2].startsWith("sha256:") || parts[2].length() != 7 + 64) {
                throw new IllegalArgumentException("guardian.security.tokens-file: " + where
                        + "expected 'NAME ROLE[,ROLE] sha256:<64 hex>' (guardianctl token create prints one)");
            }
            Set<String> roles = new LinkedHashSet<>(List.of(parts[1].split(",")));
            if (!Roles.ALL.containsAll(roles)) {
                throw new IllegalArgumentException("guardian.security.tokens-file: " + where + "unknown role in "
                        + roles + " (roles: read, operate, restore)");
            }
            parsed.add(new Caller(parts[0], Set.copyOf(roles), HexFormat.of().parseHex(parts[2].substring(7))));
        }
        return List.copyOf(parsed);
    }

    private void reloadIfChanged() {
        if (file == null) {
            return;
        }
        try {
            FileTime now = Files.getLastModifiedTime(file);
            if (!now.equals(stamp)) {
                callers = parse(read(file), file.toString());
                LOG.info("tokens file {} read: {} callers", file, callers.size());
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.error(
                    "tokens file {} unreadable or invalid ({}); keeping the callers read before", file, e.getMessage());
        }
    }

    private String read(Path path) {
        try {
            stamp = Files.getLastModifiedTime(path);
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "guardian.security.tokens-file: cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
