package com.rendertrust.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** E-mail and password rules (reliability.md B1-B5) and Argon2id hashes. */
class CredentialsTest {

  @Test
  void emailsAreComparedTrimmedAndLowerCase() {
    assertThat(Credentials.validEmail("  Ada.Lovelace+rt@Example.COM ")).isEqualTo("ada.lovelace+rt@example.com");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "a", "a@", "@b.co", "a@@b.co", "a b@c.co", "a@b", "a@b.0", "a@-b.co", "a..b@c.co",
      ".a@b.co", "a.@b.co", "a@b..co", "a\u0000@b.co", "a\t@b.co", "j\u00f6rg@b.co"})
  void malformedEmailsAreValidationFailures(String email) {
    assertThatThrownBy(() -> Credentials.validEmail(email))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.VALIDATION_FAILED);
          assertThat(e.metadata()).containsEntry("field", "email");
        });
  }

  @Test
  void passwordsAreEightTo128CharactersWithoutControlCharacters() {
    assertThat(Credentials.validNewPassword("12345678")).isEqualTo("12345678");
    assertThat(Credentials.validNewPassword("p".repeat(128))).hasSize(128);
    assertThat(Credentials.validNewPassword("\uD83D\uDD11".repeat(8))).as("8 emoji are 8 characters").isNotNull();
    for (String bad : new String[] {"1234567", "p".repeat(129), "pass\u0000word", "pass\nword1", "\uD83D".repeat(8)}) {
      assertThatThrownBy(() -> Credentials.validNewPassword(bad)).isInstanceOf(DomainException.class);
    }
    assertThat(Credentials.validNewPassword("cafe\u0301-latte")).as("stored in NFC").isEqualTo("caf\u00e9-latte");
  }

  @Test
  void argon2idHashesVerifyOnlyTheirPassword() {
    PasswordHasher hasher = new PasswordHasher();
    String hash = hasher.hash("correct horse");
    assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
    assertThat(hasher.hash("correct horse")).as("salted").isNotEqualTo(hash);
    assertThat(hasher.verify("correct horse", hash)).isTrue();
    assertThat(hasher.verify("correct horsf", hash)).isFalse();
    assertThat(hasher.verify("correct horse", "$argon2id$v=19$m=19456,t=2,p=1$!!$??")).isFalse();
    assertThat(hasher.verify("correct horse", "plain")).isFalse();
    assertThat(hasher.verifyAgainstDummy("correct horse")).isFalse();
  }
}
