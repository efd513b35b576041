package com.rendertrust.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.rendertrust.server.platform.Closer;
import com.rendertrust.server.platform.config.AuthConfig;
import com.rendertrust.server.testing.TestTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where signing keys come from: config in production, a persisted file in dev; rotation by JWK set. */
class SigningKeysTest {

  @Test
  void theDevKeyIsCreatedOnceOwnerReadableAndReused(@TempDir Path dataDir) throws Exception {
    SigningKeys first = SigningKeys.loadOrCreateDevKey(dataDir);
    Path file = dataDir.resolve(SigningKeys.DEV_KEY_FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    SigningKeys second = SigningKeys.loadOrCreateDevKey(dataDir);

    TokenService before = new TokenService(first, "rendertrust", Clock.systemUTC());
    TokenService afterRestart = new TokenService(second, "rendertrust", Clock.systemUTC());
    String token = before.issueNodeToken(TestTokens.madeUpNode(UUID.randomUUID())).value();
    assertThat(afterRestart.verify(token).type()).as("tokens survive a dev restart").isEqualTo(TokenType.NODE);
  }

  @Test
  void productionRefusesToStartWithoutAConfiguredKey(@TempDir Path dataDir) {
    assertThatThrownBy(() -> Identity.create(AuthConfig.defaults(), "production", dataDir, null, null, "rt:", new Closer(),
        Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RT_JWT_PRIVATE_JWK");
    assertThat(Files.exists(dataDir.resolve(SigningKeys.DEV_KEY_FILE))).isFalse();
  }

  @Test
  void aJwkSetRotatesTheSigningKeyWhileOldTokensStillVerify() throws Exception {
    OctetKeyPair oldKey = OctetKeyPair.parse(SigningKeys.generatePrivateJwk());
    OctetKeyPair newKey = OctetKeyPair.parse(SigningKeys.generatePrivateJwk());
    TokenService old = new TokenService(SigningKeys.parse(oldKey.toJSONString()), "rendertrust", Clock.systemUTC());
    String oldToken = old.issueNodeToken(TestTokens.madeUpNode(UUID.randomUUID())).value();

    SigningKeys rotated = SigningKeys.parse(new JWKSet(java.util.List.of(newKey, oldKey.toPublicJWK())).toString(false));
    TokenService current = new TokenService(rotated, "rendertrust", Clock.systemUTC());
    assertThat(current.verify(oldToken).type()).isEqualTo(TokenType.NODE);
    String newToken = current.issueNodeToken(TestTokens.madeUpNode(UUID.randomUUID())).value();
    assertThat(com.nimbusds.jwt.SignedJWT.parse(newToken).getHeader().getKeyID()).isEqualTo(newKey.getKeyID());
    JWKSet published = JWKSet.parse(current.publicJwks());
    assertThat(published.getKeys()).hasSize(2).noneMatch(key -> key.isPrivate());
  }

  @Test
  void badKeyMaterialIsRejectedWithoutEchoingIt() {
    assertThatThrownBy(() -> SigningKeys.parse("{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXZhbHVl\",\"kid\":\"a\"}"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("c2VjcmV0LXZhbHVl");
    assertThatThrownBy(() -> SigningKeys.parse("not json secret-value"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("secret-value");
    String publicOnly = OctetKeyPairs.publicOnly();
    assertThatThrownBy(() -> SigningKeys.parse(publicOnly)).hasMessageContaining("no private key");
  }

  /** Small fixture holder. */
  static final class OctetKeyPairs {
    static String publicOnly() {
      try {
        return OctetKeyPair.parse(SigningKeys.generatePrivateJwk()).toPublicJWK().toJSONString();
      } catch (java.text.ParseException e) {
        throw new AssertionError(e);
      }
    }
  }
}
