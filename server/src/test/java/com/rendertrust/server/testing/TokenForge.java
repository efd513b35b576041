package com.rendertrust.server.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * Builds JWTs the way an attacker (or a test) would: any header, any claims, signed with any
 * key, including a {@link TestServer}'s own signing key, to probe each verification rule alone.
 */
public final class TokenForge {

  private final OctetKeyPair serverKey;
  private final String issuer;

  public TokenForge(OctetKeyPair serverKey, String issuer) {
    this.serverKey = serverKey;
    this.issuer = issuer;
  }

  /** A forge holding the test server's private signing key. */
  public static TokenForge of(TestServer server) {
    try {
      return new TokenForge(OctetKeyPair.parse(server.config().auth().jwtPrivateJwk().orElseThrow()),
          server.config().auth().jwtIssuer());
    } catch (ParseException e) {
      throw new AssertionError(e);
    }
  }

  public OctetKeyPair serverKey() {
    return serverKey;
  }

  /** Claims of a valid access token of {@code userId} in session {@code sessionId}, issued now. */
  public JWTClaimsSet.Builder accessClaims(UUID userId, UUID sessionId) {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .audience(issuer)
        .subject(userId.toString())
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(30))))
        .jwtID(UUID.randomUUID().toString())
        .claim("token_type", "access")
        .claim("sid", sessionId.toString())
        .claim("role", "user");
  }

  /** The header the server puts on access tokens. */
  public JWSHeader.Builder accessHeader() {
    return new JWSHeader.Builder(JWSAlgorithm.EdDSA).keyID(serverKey.getKeyID()).type(new JOSEObjectType("at+jwt"));
  }

  /** Signs with the server's own key: valid unless the header or claims break a rule. */
  public String signed(JWSHeader header, JWTClaimsSet claims) {
    return signedWith(serverKey, header, claims);
  }

  public static String signedWith(OctetKeyPair key, JWSHeader header, JWTClaimsSet claims) {
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(new Ed25519Signer(key));
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
    return jwt.serialize();
  }

  /** RFC 8725 §2.1 algorithm confusion: HS256 keyed with the bytes of our public key. */
  public String hs256WithPublicKey(JWTClaimsSet claims) {
    byte[] secret = serverKey.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8);
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(serverKey.getKeyID())
        .type(new JOSEObjectType("at+jwt")).build(), claims);
    try {
      jwt.sign(new MACSigner(secret));
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
    return jwt.serialize();
  }

  /** {@code alg: none} with the given claims and an empty signature. */
  public static String unsecured(JWTClaimsSet claims) {
    return Base64URL.encode("{\"alg\":\"none\",\"typ\":\"at+jwt\"}").toString() + "."
        + Base64URL.encode(claims.toString()).toString() + ".";
  }
}
