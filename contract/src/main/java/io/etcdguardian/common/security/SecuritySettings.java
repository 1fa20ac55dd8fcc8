package io.etcdguardian.common.security;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;

/**
 * {@code guardian.security.*}: {@code tokens-file} holds the callers of the HTTP API (name, roles, the
 * SHA-256 of each token; never a token). None: every endpoint but health and metrics answers 401.
 */
@ConfigurationProperties("guardian.security")
public record SecuritySettings(@Nullable String tokensFile) {}
