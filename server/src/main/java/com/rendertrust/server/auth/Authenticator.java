package com.rendertrust.server.auth;

/**
 * Turns a presented credential into an {@link Authentication}, or fails with TOKEN_INVALID /
 * TOKEN_REVOKED (401). Whether that caller may call a given RPC is the access policy's business.
 */
public interface Authenticator {

  /** An access or node JWT from {@code Authorization: Bearer}. */
  Authentication bearer(String token);

  /** A key from {@code X-API-Key}. */
  Authentication apiKey(String key);
}
