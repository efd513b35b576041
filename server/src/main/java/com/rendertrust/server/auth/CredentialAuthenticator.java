package com.rendertrust.server.auth;

import com.rendertrust.server.platform.auth.Caller;
import com.rendertrust.server.platform.auth.Role;
import java.util.Optional;

/** Verifies JWTs (signature, type, lifetime, then the denylist) and API keys. */
public final class CredentialAuthenticator implements Authenticator {

  private final TokenService tokens;
  private final TokenRevocations revocations;
  private final ApiKeyService apiKeys;

  public CredentialAuthenticator(TokenService tokens, TokenRevocations revocations, ApiKeyService apiKeys) {
    this.tokens = tokens;
    this.revocations = revocations;
    this.apiKeys = apiKeys;
  }

  @Override
  public Authentication bearer(String token) {
    VerifiedToken verified = tokens.verify(token);
    Authentication.Kind kind = switch (verified.type()) {
      case ACCESS -> Authentication.Kind.ACCESS_TOKEN;
      case NODE -> Authentication.Kind.NODE_TOKEN;
      case REFRESH -> throw TokenService.invalid(); // refresh tokens only work at Refresh, in the body
    };
    if (revocations.isRevoked(verified.jti())) {
      throw SessionService.revoked();
    }
    Role role = kind == Authentication.Kind.NODE_TOKEN ? Role.NODE : verified.role();
    return new Authentication(new Caller(verified.subject(), role), kind, Optional.of(verified));
  }

  @Override
  public Authentication apiKey(String key) {
    Account account = apiKeys.authenticate(key);
    return new Authentication(new Caller(account.id(), account.role()), Authentication.Kind.API_KEY, Optional.empty());
  }
}
