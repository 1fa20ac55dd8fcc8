package io.etcdguardian.common.http;

import io.etcdguardian.common.security.CallerTokens;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.http.HttpRequest;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.token.validator.TokenValidator;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import org.reactivestreams.Publisher;

/** Bearer tokens (Authorization: Bearer …, as guardianctl and Alertmanager send them) checked against {@link CallerTokens}. */
@Singleton
public class CallerTokenValidator implements TokenValidator<HttpRequest<?>> {
    private final CallerTokens tokens;

    public CallerTokenValidator(CallerTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public Publisher<Authentication> validateToken(String token, @Nullable HttpRequest<?> request) {
        return tokens.caller(token)
                .map(c -> Publishers.just(Authentication.build(c.name(), List.copyOf(c.roles()), Map.of())))
                .orElse(Publishers.empty());
    }
}
