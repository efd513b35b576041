package com.rendertrust.server.auth;

import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens whose signature already checked out, by their exact compact form. A client sends the
 * same access token with every call for its lifetime, and the Ed25519 verification was a
 * noticeable share of the server's CPU per call. The cache is keyed by the whole string, so a
 * hit is the very bytes that were verified; everything that can change with time (key
 * retirement, expiry, revocation) is still checked on every call by the caller. It only holds
 * valid tokens we issued, and it starts over when full, so it cannot grow without bound.
 */
final class VerifiedSignatures {

  record Verified(JWSHeader header, JWTClaimsSet claims) {
  }

  private final int capacity;
  private final ConcurrentHashMap<String, Verified> verified = new ConcurrentHashMap<>();

  VerifiedSignatures(int capacity) {
    this.capacity = capacity;
  }

  Optional<Verified> find(String jwt) {
    return Optional.ofNullable(verified.get(jwt));
  }

  void remember(String jwt, JWSHeader header, JWTClaimsSet claims) {
    if (verified.size() >= capacity) {
      verified.clear();
    }
    verified.put(jwt, new Verified(header, claims));
  }
}
