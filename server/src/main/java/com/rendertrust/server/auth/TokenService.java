package com.rendertrust.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.auth.NodeToken;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Issues and verifies every JWT of the system: EdDSA (Ed25519) with a {@code kid}, claims
 * {@code iss}, {@code aud}, {@code sub}, {@code iat}, {@code exp}, {@code jti},
 * {@code token_type} (plus {@code sid} and {@code role} on user tokens).
 *
 * <p>Verification trusts nothing in the token before the signature checks out against one of
 * our keys, chosen by {@code kid} from a fixed in-memory map: the algorithm must be exactly
 * EdDSA (no {@code none}, no HMAC with a public key), the JOSE {@code typ} and the
 * {@code token_type} claim must agree, and times allow 60 s of clock skew. Revocation is
 * checked by the caller ({@link TokenRevocations}).
 */
public final class TokenService {

  /** Larger tokens are refused before parsing: ours are ~400 bytes, headers are capped at 8 KiB. */
  static final int MAX_TOKEN_CHARS = 4096;
  static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
  /** Valid tokens whose signature is not checked again (about 2 KiB each). */
  private static final int VERIFIED_CACHE_SIZE = 4096;

  private static final String TOKEN_TYPE = "token_type";
  private static final String SESSION_ID = "sid";
  private static final String ROLE = "role";
  /** Node tokens: the registration that issued the token, and the key it was issued for. */
  private static final String REGISTRATION = "reg";
  private static final String NODE_KEY = "key";
  private static final Pattern KEY_THUMBPRINT = Pattern.compile("[0-9a-f]{64}");

  private final SigningKeys keys;
  private final String issuer;
  private final Clock clock;
  private final Ed25519Signer signer;
  private final VerifiedSignatures verifiedSignatures = new VerifiedSignatures(VERIFIED_CACHE_SIZE);

  public TokenService(SigningKeys keys, String issuer, Clock clock) {
    this.keys = keys;
    this.issuer = issuer;
    this.clock = clock;
    try {
      this.signer = new Ed25519Signer(keys.signingKey());
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable JWT signing key", e);
    }
  }

  public IssuedToken issueAccess(UUID userId, UUID sessionId, Role role) {
    if (role == Role.NODE) {
      throw new IllegalArgumentException("access tokens are for users");
    }
    return issue(TokenType.ACCESS, userId, claims -> claims
        .claim(SESSION_ID, sessionId.toString())
        .claim(ROLE, role.name().toLowerCase()));
  }

  public IssuedToken issueRefresh(UUID userId, UUID sessionId) {
    return issue(TokenType.REFRESH, userId, claims -> claims.claim(SESSION_ID, sessionId.toString()));
  }

  /**
   * A node JWT (24 h) whose subject is the node id, naming the registration that issued it
   * ({@code reg}) and the key it was issued for ({@code key}: lowercase hex SHA-256 of the raw
   * Ed25519 key); the nodes feature hands it to its agent and decides when it is usable.
   */
  public IssuedToken issueNodeToken(NodeToken node) {
    if (!KEY_THUMBPRINT.matcher(node.keyThumbprint()).matches()) {
      throw new IllegalArgumentException("a key thumbprint is 64 lowercase hex characters");
    }
    return issue(TokenType.NODE, node.nodeId(), claims -> claims
        .claim(REGISTRATION, node.registrationId().toString())
        .claim(NODE_KEY, node.keyThumbprint()));
  }

  /** Verifies a node JWT (signature, type, lifetime); revocation is the caller's check. */
  public VerifiedToken verifyNodeToken(String jwt) {
    VerifiedToken token = verify(jwt);
    if (token.type() != TokenType.NODE) {
      throw invalid();
    }
    return token;
  }

  /** The public keys as a JWK set document. */
  public String publicJwks() {
    return keys.publicJwks();
  }

  /**
   * Whether {@code jwt} has the compact form: three non-empty base64url segments joined by dots.
   * A loop, not a regular expression: every authenticated call runs it (a regex took about half of
   * the verification of a token already verified once).
   */
  static boolean isCompactJws(String jwt) {
    int dots = 0;
    int segment = 0;
    for (int i = 0; i < jwt.length(); i++) {
      char c = jwt.charAt(i);
      if (c == '.') {
        if (segment == 0 || ++dots > 2) {
          return false;
        }
        segment = 0;
      } else if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
        segment++;
      } else {
        return false;
      }
    }
    return dots == 2 && segment > 0;
  }

  /** Verifies any of our token types; TOKEN_INVALID (401) for anything that is not exactly valid. */
  public VerifiedToken verify(String jwt) {
    if (jwt == null || jwt.length() > MAX_TOKEN_CHARS || !isCompactJws(jwt)) {
      throw invalid();
    }
    Optional<VerifiedSignatures.Verified> known = verifiedSignatures.find(jwt);
    if (known.isPresent()) {
      if (keys.verificationKey(known.get().header().getKeyID()).isEmpty()) {
        throw invalid(); // its key was retired since
      }
      return checkClaims(known.get().header(), known.get().claims());
    }
    SignedJWT parsed;
    JWTClaimsSet claims;
    try {
      parsed = SignedJWT.parse(jwt);
      if (!canonical(parsed.getSignature(), jwt.substring(jwt.lastIndexOf('.') + 1))) {
        throw invalid(); // unused trailing bits set: a different string for the same signature
      }
      JWSHeader header = parsed.getHeader();
      if (!JWSAlgorithm.EdDSA.equals(header.getAlgorithm())
          || header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
        throw invalid();
      }
      OctetKeyPair key = keys.verificationKey(header.getKeyID()).orElseThrow(TokenService::invalid);
      if (!parsed.verify(new Ed25519Verifier(key))) {
        throw invalid();
      }
      claims = parsed.getJWTClaimsSet();
    } catch (DomainException e) {
      throw e;
    } catch (ParseException | JOSEException | RuntimeException e) {
      // Malformed input of any kind (bad base64, bad JSON, odd key material): just invalid.
      throw invalid();
    }
    VerifiedToken token = checkClaims(parsed.getHeader(), claims);
    verifiedSignatures.remember(jwt, parsed.getHeader(), claims);
    return token;
  }

  private VerifiedToken checkClaims(JWSHeader header, JWTClaimsSet claims) {
    try {
      TokenType type = TokenType.ofClaim(claims.getStringClaim(TOKEN_TYPE)).orElseThrow(TokenService::invalid);
      if (header.getType() == null || !type.joseType().equals(header.getType().getType())) {
        throw invalid();
      }
      if (!issuer.equals(claims.getIssuer()) || claims.getAudience() == null
          || !claims.getAudience().equals(List.of(issuer))) {
        throw invalid();
      }
      Instant now = clock.instant();
      Instant issuedAt = instant(claims.getIssueTime());
      Instant expiresAt = instant(claims.getExpirationTime());
      if (now.isAfter(expiresAt.plus(CLOCK_SKEW)) || issuedAt.isAfter(now.plus(CLOCK_SKEW))
          || !expiresAt.isAfter(issuedAt)) {
        throw invalid();
      }
      if (claims.getNotBeforeTime() != null && claims.getNotBeforeTime().toInstant().isAfter(now.plus(CLOCK_SKEW))) {
        throw invalid();
      }
      UUID subject = uuid(claims.getSubject());
      UUID jti = uuid(claims.getJWTID());
      Optional<UUID> sessionId = Optional.empty();
      Optional<NodeToken> node = Optional.empty();
      Role role = Role.NODE;
      if (type == TokenType.NODE) {
        // A node token without both claims was not issued by this version: never usable.
        String key = claims.getStringClaim(NODE_KEY);
        if (key == null || !KEY_THUMBPRINT.matcher(key).matches()) {
          throw invalid();
        }
        node = Optional.of(new NodeToken(subject, uuid(claims.getStringClaim(REGISTRATION)), key));
      } else {
        sessionId = Optional.of(uuid(claims.getStringClaim(SESSION_ID)));
        role = type == TokenType.ACCESS ? role(claims.getStringClaim(ROLE)) : Role.USER;
      }
      return new VerifiedToken(type, subject, jti, sessionId, role, issuedAt, expiresAt, node);
    } catch (ParseException e) {
      throw invalid();
    }
  }

  private interface ClaimsCustomizer {
    JWTClaimsSet.Builder apply(JWTClaimsSet.Builder claims);
  }

  private IssuedToken issue(TokenType type, UUID subject, ClaimsCustomizer customizer) {
    // JWT times are whole seconds; truncate so what we remember equals what the token says.
    Instant issuedAt = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Instant expiresAt = issuedAt.plus(type.lifetime());
    UUID jti = UUID.randomUUID();
    JWTClaimsSet claims = customizer.apply(new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(issuer)
            .subject(subject.toString())
            .issueTime(Date.from(issuedAt))
            .expirationTime(Date.from(expiresAt))
            .jwtID(jti.toString())
            .claim(TOKEN_TYPE, type.claim()))
        .build();
    JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.EdDSA)
        .keyID(keys.signingKey().getKeyID())
        .type(new JOSEObjectType(type.joseType()))
        .build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing a token failed", e);
    }
    return new IssuedToken(jwt.serialize(), type, jti, issuedAt, expiresAt);
  }

  private static boolean canonical(com.nimbusds.jose.util.Base64URL decoded, String segment) {
    return com.nimbusds.jose.util.Base64URL.encode(decoded.decode()).toString().equals(segment);
  }

  private static Instant instant(Date date) {
    if (date == null) {
      throw invalid();
    }
    return date.toInstant();
  }

  private static UUID uuid(String value) {
    return Ids.parse(value).orElseThrow(TokenService::invalid);
  }

  private static Role role(String value) {
    if ("user".equals(value)) {
      return Role.USER;
    }
    if ("admin".equals(value)) {
      return Role.ADMIN;
    }
    throw invalid();
  }

  static DomainException invalid() {
    return new DomainException(Reason.TOKEN_INVALID, "invalid or expired token");
  }
}
