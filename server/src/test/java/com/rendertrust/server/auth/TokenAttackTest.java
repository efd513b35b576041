package com.rendertrust.server.auth;

import static com.rendertrust.server.testing.GrpcFailures.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.ListApiKeysRequest;
import com.rendertrust.server.testing.GrpcCredentials;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestTokens;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import com.rendertrust.server.testing.TokenForge;
import io.grpc.Status.Code;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JWT rows of the bad-input catalogue (reliability.md B8-B17, S12), each over REST and
 * gRPC: every forged token is 401, while the same claims signed properly are accepted, so each
 * case fails for the one rule it breaks.
 */
class TokenAttackTest {

  private static TestServer server;
  private static TokenForge forge;
  private static TestUser user;
  private static UUID sessionId;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    forge = TokenForge.of(server);
    user = TestUsers.register(server);
    sessionId = server.controlPlane().identity().tokens().verify(user.accessToken()).sessionId().orElseThrow();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aProperlyForgedTokenIsAcceptedSoEachAttackBreaksOneRule() {
    String valid = forge.signed(forge.accessHeader().build(), forge.accessClaims(user.id(), sessionId).build());
    assertThat(server.get("/api/v1/auth/api-keys", bearer(valid)).statusCode()).isEqualTo(200);
  }

  static Stream<Arguments> forgedTokens() throws Exception {
    JWTClaimsSet claims = forge.accessClaims(user.id(), sessionId).build();
    JWSHeader header = forge.accessHeader().build();
    OctetKeyPair attacker = OctetKeyPair.parse(SigningKeys.generatePrivateJwk());
    Instant now = Instant.now();
    String valid = forge.signed(header, claims);
    String[] parts = valid.split("\\.");
    return Stream.of(
        Arguments.of("B10 alg none", TokenForge.unsecured(claims)),
        Arguments.of("B10 alg none with a signature part", TokenForge.unsecured(claims) + parts[2]),
        Arguments.of("B11 HS256 keyed with our public key", forge.hs256WithPublicKey(claims)),
        Arguments.of("B12 unknown kid", forge.signed(new JWSHeader.Builder(header).keyID("unknown").build(), claims)),
        Arguments.of("B12 path kid", forge.signed(new JWSHeader.Builder(header).keyID("../../dev/null").build(), claims)),
        Arguments.of("B12 SQL kid", forge.signed(new JWSHeader.Builder(header).keyID("' OR 1=1 --").build(), claims)),
        Arguments.of("B12 10 KB kid", forge.signed(new JWSHeader.Builder(header).keyID("k".repeat(10_240)).build(), claims)),
        Arguments.of("B12 no kid", forge.signed(new JWSHeader.Builder(header).keyID(null).build(), claims)),
        Arguments.of("re-signed by another key under our kid", TokenForge.signedWith(attacker, header, claims)),
        Arguments.of("B13 embedded jwk of the attacker", TokenForge.signedWith(attacker,
            new JWSHeader.Builder(header).keyID(attacker.getKeyID()).jwk(attacker.toPublicJWK()).build(), claims)),
        Arguments.of("B13 jku naming the attacker", TokenForge.signedWith(attacker,
            new JWSHeader.Builder(header).keyID(attacker.getKeyID()).jwkURL(URI.create("http://127.0.0.1:9/jwks.json"))
                .build(), claims)),
        Arguments.of("B14 expired beyond the 60 s leeway", forge.signed(header, new JWTClaimsSet.Builder(claims)
            .issueTime(Date.from(now.minus(Duration.ofMinutes(31))))
            .expirationTime(Date.from(now.minusSeconds(90))).build())),
        Arguments.of("B15 issued in the future", forge.signed(header, new JWTClaimsSet.Builder(claims)
            .issueTime(Date.from(now.plusSeconds(300))).expirationTime(Date.from(now.plusSeconds(2000))).build())),
        Arguments.of("B15 not before in the future", forge.signed(header, new JWTClaimsSet.Builder(claims)
            .notBeforeTime(Date.from(now.plusSeconds(300))).build())),
        Arguments.of("B16 wrong issuer", forge.signed(header, new JWTClaimsSet.Builder(claims).issuer("other").build())),
        Arguments.of("B16 wrong audience", forge.signed(header, new JWTClaimsSet.Builder(claims).audience("other").build())),
        Arguments.of("B16 no audience", forge.signed(header, new JWTClaimsSet.Builder(claims).audience((String) null)
            .build())),
        Arguments.of("S12 refresh token_type", forge.signed(new JWSHeader.Builder(header)
            .type(new JOSEObjectType("refresh+jwt")).build(), new JWTClaimsSet.Builder(claims)
            .claim("token_type", "refresh").build())),
        Arguments.of("S12 token_type and typ disagree", forge.signed(header, new JWTClaimsSet.Builder(claims)
            .claim("token_type", "node").build())),
        Arguments.of("S12 no typ header", forge.signed(new JWSHeader.Builder(header).type(null).build(), claims)),
        Arguments.of("S12 generic JWT typ", forge.signed(new JWSHeader.Builder(header).type(JOSEObjectType.JWT).build(),
            claims)),
        Arguments.of("unknown token_type", forge.signed(header, new JWTClaimsSet.Builder(claims)
            .claim("token_type", "admin").build())),
        Arguments.of("missing jti", forge.signed(header, new JWTClaimsSet.Builder(claims).jwtID(null).build())),
        Arguments.of("missing exp", forge.signed(header, new JWTClaimsSet.Builder(claims).expirationTime(null).build())),
        Arguments.of("missing sid", forge.signed(header, new JWTClaimsSet.Builder(claims).claim("sid", null).build())),
        Arguments.of("subject not a UUID", forge.signed(header, new JWTClaimsSet.Builder(claims).subject("1 OR 1=1")
            .build())),
        Arguments.of("role escalation to an unknown role", forge.signed(header, new JWTClaimsSet.Builder(claims)
            .claim("role", "root").build())),
        Arguments.of("critical header", forge.signed(forge.accessHeader()
            .criticalParams(java.util.Set.of("x-policy")).customParam("x-policy", 1).build(), claims)),
        Arguments.of("B17 truncated signature", valid.substring(0, valid.length() - 5)),
        Arguments.of("B17 extra segment", valid + ".extra"),
        Arguments.of("B17 padded base64", valid + "=="),
        Arguments.of("B17 whitespace inside", parts[0] + ". " + parts[1] + "." + parts[2]),
        Arguments.of("B17 JWE shape", parts[0] + "." + parts[1] + ".AAAA.BBBB." + parts[2]),
        Arguments.of("tampered payload", parts[0] + "." + com.nimbusds.jose.util.Base64URL.encode(
            new JWTClaimsSet.Builder(claims).claim("role", "admin").build().toString()) + "." + parts[2]),
        Arguments.of("signature of another token", parts[0] + "." + parts[1] + "."
            + user.accessToken().split("\\.")[2]));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forgedTokens")
  void forgedTokensAre401OverRest(String attack, String token) {
    HttpResponse<String> response = server.get("/api/v1/auth/api-keys", "Authorization", "Bearer " + token);
    if (token.length() > 8 * 1024) {
      // B19: the HTTP edge refuses headers over 8 KiB before anything parses them
      assertThat(response.statusCode()).as(attack).isEqualTo(431);
      return;
    }
    assertThat(response.statusCode()).as(attack).isEqualTo(401);
    assertThat(Json.parse(response.body()).get("detail").asText()).isEqualTo("invalid or expired token");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forgedTokens")
  void forgedTokensAreUnauthenticatedOverGrpc(String attack, String token) {
    assertFails(() -> AuthServiceGrpc.newBlockingStub(server.channel()).withCallCredentials(GrpcCredentials.bearer(token))
        .listApiKeys(ListApiKeysRequest.getDefaultInstance()), Code.UNAUTHENTICATED, "TOKEN_INVALID");
  }

  @Test
  void expiryAllowsSixtySecondsOfClockSkewAndNoMore() {
    Instant now = Instant.now();
    JWTClaimsSet.Builder claims = forge.accessClaims(user.id(), sessionId)
        .issueTime(Date.from(now.minus(Duration.ofMinutes(30))));
    String justExpired = forge.signed(forge.accessHeader().build(),
        claims.expirationTime(Date.from(now.minusSeconds(30))).build());
    String longExpired = forge.signed(forge.accessHeader().build(),
        claims.expirationTime(Date.from(now.minusSeconds(90))).build());
    assertThat(server.get("/api/v1/auth/api-keys", bearer(justExpired)).statusCode()).isEqualTo(200);
    assertThat(server.get("/api/v1/auth/api-keys", bearer(longExpired)).statusCode()).isEqualTo(401);
  }

  @Test
  void tokensCarryTheDocumentedClaimsAndVerifyAgainstThePublishedJwks() throws Exception {
    HttpResponse<String> jwks = server.get(Identity.JWKS_PATH);
    assertThat(jwks.statusCode()).isEqualTo(200);
    assertThat(jwks.headers().firstValue("content-type")).hasValueSatisfying(type -> assertThat(type).contains("json"));
    assertThat(jwks.body()).doesNotContain("\"d\"");
    JWKSet published = JWKSet.parse(jwks.body());
    assertThat(published.getKeys()).hasSize(1);
    OctetKeyPair key = (OctetKeyPair) published.getKeys().getFirst();
    assertThat(key.isPrivate()).isFalse();

    for (String token : List.of(user.accessToken(), user.refreshToken())) {
      SignedJWT jwt = SignedJWT.parse(token);
      assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.EdDSA);
      assertThat(jwt.getHeader().getKeyID()).isEqualTo(key.getKeyID());
      assertThat(jwt.verify(new Ed25519Verifier(key))).as("an edge proxy can verify with the JWKS").isTrue();
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      assertThat(claims.getSubject()).isEqualTo(user.id().toString());
      assertThat(claims.getJWTID()).isNotBlank();
      assertThat(claims.getIssueTime()).isNotNull();
    }
    JWTClaimsSet access = SignedJWT.parse(user.accessToken()).getJWTClaimsSet();
    assertThat(access.getStringClaim("token_type")).isEqualTo("access");
    assertThat(Duration.between(access.getIssueTime().toInstant(), access.getExpirationTime().toInstant()))
        .isEqualTo(Duration.ofMinutes(30));
    JWTClaimsSet refresh = SignedJWT.parse(user.refreshToken()).getJWTClaimsSet();
    assertThat(refresh.getStringClaim("token_type")).isEqualTo("refresh");
    assertThat(Duration.between(refresh.getIssueTime().toInstant(), refresh.getExpirationTime().toInstant()))
        .isEqualTo(Duration.ofDays(7));
    IssuedToken node = server.controlPlane().identity().tokens().issueNodeToken(TestTokens.madeUpNode(UUID.randomUUID()));
    JWTClaimsSet nodeClaims = SignedJWT.parse(node.value()).getJWTClaimsSet();
    assertThat(nodeClaims.getStringClaim("token_type")).isEqualTo("node");
    assertThat(Duration.between(nodeClaims.getIssueTime().toInstant(), nodeClaims.getExpirationTime().toInstant()))
        .isEqualTo(Duration.ofHours(24));
    assertThat(server.controlPlane().identity().tokens().verifyNodeToken(node.value()).subject().toString())
        .isEqualTo(nodeClaims.getSubject());
  }

  @Test
  void jwksIsReadOnly() {
    assertThat(server.postJson(Identity.JWKS_PATH, "{}").statusCode()).isEqualTo(405);
  }

  private static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }
}
