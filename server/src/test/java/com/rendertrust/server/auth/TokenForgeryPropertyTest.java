package com.rendertrust.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jwt.JWTClaimsSet;
import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.ListApiKeysRequest;
import com.rendertrust.server.testing.GrpcCredentials;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import com.rendertrust.server.testing.TokenForge;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property: nothing but an exactly valid token authenticates. Random bytes, truncations,
 * single-character changes, re-signatures with other keys, and tokens breaking one rule each
 * (alg none, HS256 with our public key, wrong kid, expired, wrong token_type...) are all
 * UNAUTHENTICATED against the real server.
 */
class TokenForgeryPropertyTest {

  private static TestServer server;
  private static TokenForge forge;
  private static TestUser user;
  private static UUID sessionId;

  @BeforeContainer
  static void start() {
    server = TestServer.start();
    forge = TokenForge.of(server);
    user = TestUsers.register(server);
    sessionId = server.controlPlane().identity().tokens().verify(user.accessToken()).sessionId().orElseThrow();
  }

  @AfterContainer
  static void stop() {
    server.close();
  }

  @Example
  void theUnmodifiedTokenAuthenticates() {
    assertThat(authenticates(user.accessToken())).isTrue();
  }

  @Property(tries = 200)
  void randomBytesNeverAuthenticate(@ForAll byte[] bytes) {
    String asText = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    assertThat(authenticates(asText)).isFalse();
    assertThat(authenticates(asText + "." + asText + "." + asText)).isFalse();
  }

  @Property(tries = 200)
  void truncatedTokensNeverAuthenticate(@ForAll @IntRange(min = 0, max = 10_000) int cut) {
    String token = user.accessToken();
    assertThat(authenticates(token.substring(0, cut % token.length()))).isFalse();
  }

  @Property(tries = 300)
  void changingAnyCharacterBreaksTheToken(@ForAll @IntRange(min = 0, max = 10_000) int position,
      @ForAll("base64UrlCharacters") char replacement) {
    String token = user.accessToken();
    int at = position % token.length();
    if (token.charAt(at) == replacement) {
      return;
    }
    String tampered = token.substring(0, at) + replacement + token.substring(at + 1);
    assertThat(authenticates(tampered)).as("changed position %d to %s", at, replacement).isFalse();
  }

  @Property(tries = 50)
  void reSignedTokensNeverAuthenticate(@ForAll boolean keepOurKid) throws Exception {
    OctetKeyPair attacker = OctetKeyPair.parse(SigningKeys.generatePrivateJwk());
    JWSHeader header = keepOurKid ? forge.accessHeader().build()
        : forge.accessHeader().keyID(attacker.getKeyID()).build();
    assertThat(authenticates(TokenForge.signedWith(attacker, header, forge.accessClaims(user.id(), sessionId).build())))
        .isFalse();
  }

  @Property(tries = 300)
  void tokensBreakingOneRuleNeverAuthenticate(@ForAll("ruleBreakingTokens") String token) {
    assertThat(authenticates(token)).isFalse();
  }

  @Provide
  Arbitrary<Character> base64UrlCharacters() {
    return Arbitraries.of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=".toCharArray()).map(c -> c);
  }

  @Provide
  Arbitrary<String> ruleBreakingTokens() {
    Arbitrary<Integer> rule = Arbitraries.integers().between(0, 9);
    Arbitrary<Integer> seconds = Arbitraries.integers().between(61, 30 * 24 * 3600);
    Arbitrary<String> text = Arbitraries.strings().ofMinLength(0).ofMaxLength(40);
    return Combinators.combine(rule, seconds, text).as(TokenForgeryPropertyTest::breakRule);
  }

  private static String breakRule(int rule, int seconds, String text) {
    Instant now = Instant.now();
    JWTClaimsSet claims = forge.accessClaims(user.id(), sessionId).build();
    JWSHeader header = forge.accessHeader().build();
    return switch (rule) {
      case 0 -> TokenForge.unsecured(claims);
      case 1 -> forge.hs256WithPublicKey(claims);
      case 2 -> forge.signed(forge.accessHeader().keyID(text.equals(header.getKeyID()) ? text + "x" : text).build(),
          claims);
      case 3 -> forge.signed(header, new JWTClaimsSet.Builder(claims)
          .issueTime(Date.from(now.minusSeconds(seconds + 1800L)))
          .expirationTime(Date.from(now.minusSeconds(seconds))).build());
      case 4 -> forge.signed(header, new JWTClaimsSet.Builder(claims)
          .claim("token_type", text.equals("access") ? "refresh" : text).build());
      case 5 -> forge.signed(forge.accessHeader().type(new JOSEObjectType("refresh+jwt")).build(),
          new JWTClaimsSet.Builder(claims).claim("token_type", "refresh").build());
      case 6 -> forge.signed(forge.accessHeader().type(new JOSEObjectType(text.equals("at+jwt") ? "jwt" : text))
          .build(), claims);
      case 7 -> forge.signed(header, new JWTClaimsSet.Builder(claims)
          .issuer(text.equals(server.config().auth().jwtIssuer()) ? text + "x" : text).build());
      case 8 -> forge.signed(header, new JWTClaimsSet.Builder(claims)
          .issueTime(Date.from(now.plusSeconds(seconds))).expirationTime(Date.from(now.plusSeconds(seconds + 1800L)))
          .build());
      default -> forge.signed(header, new JWTClaimsSet.Builder(claims).expirationTime(null).build());
    };
  }

  private static boolean authenticates(String token) {
    try {
      AuthServiceGrpc.newBlockingStub(server.channel())
          .withCallCredentials(GrpcCredentials.header(GrpcCredentials.AUTHORIZATION, "Bearer " + token))
          .listApiKeys(ListApiKeysRequest.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.UNAUTHENTICATED);
      return false;
    } catch (IllegalArgumentException e) {
      return false; // not even expressible as an ASCII header value: no client could send it
    }
  }

}
