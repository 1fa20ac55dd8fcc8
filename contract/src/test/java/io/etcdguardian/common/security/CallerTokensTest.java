package io.etcdguardian.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallerTokensTest {

    @Test
    void aTokenIsKnownByItsHashOnlyAndRevokedByRemovingItsLine(@TempDir Path dir) throws Exception {
        String[] ops = CallerTokens.issue("ops", Set.of(Roles.READ, Roles.OPERATE));
        String[] viewer = CallerTokens.issue("viewer", Set.of(Roles.READ));
        Path file = Files.writeString(dir.resolve("tokens"), "# callers\n" + ops[1] + "\n" + viewer[1] + "\n");
        assertThat(Files.readString(file))
                .as("the file holds hashes, not tokens")
                .doesNotContain(ops[0], viewer[0]);
        assertThat(ops[0]).startsWith("gdn_").hasSizeGreaterThan(40);

        CallerTokens tokens = new CallerTokens(file.toString());
        assertThat(tokens.caller(ops[0]).orElseThrow().roles()).containsExactlyInAnyOrder("read", "operate");
        assertThat(tokens.caller(viewer[0]).orElseThrow().name()).isEqualTo("viewer");
        assertThat(tokens.caller(ops[0] + "x")).isEmpty();
        assertThat(tokens.caller("")).isEmpty();

        Files.writeString(file, viewer[1] + "\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(tokens.caller(ops[0])).as("revoked").isEmpty();
        assertThat(tokens.caller(viewer[0])).isPresent();
    }

    @Test
    void withoutAFileNobodyIsKnown() {
        assertThat(new CallerTokens("").caller("anything")).isEmpty();
    }

    @Test
    void aBrokenFileFailsTheStartUpNamingTheLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "ops read sha256:abc\n");
        assertThatThrownBy(() -> new CallerTokens(file.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("guardian.security.tokens-file: " + file
                        + " line 1: expected 'NAME ROLE[,ROLE] sha256:<64 hex>'");
        Path roles = Files.writeString(dir.resolve("roles"), CallerTokens.line("x", Set.of("admin"), "t") + "\n");
        assertThatThrownBy(() -> new CallerTokens(roles.toString())).hasMessageContaining("unknown role in [admin]");
    }
}
