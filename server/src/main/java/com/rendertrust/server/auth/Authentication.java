package com.rendertrust.server.auth;

import com.rendertrust.server.platform.auth.Caller;
import java.util.Optional;

/**
 * Who presented which credential. {@code token} is the verified JWT for token credentials
 * (Logout needs its {@code jti} and session), empty for API keys.
 */
public record Authentication(Caller caller, Kind kind, Optional<VerifiedToken> token) {

  /** The kind of credential a call carried. */
  public enum Kind {
    ACCESS_TOKEN,
    API_KEY,
    NODE_TOKEN
  }
}
