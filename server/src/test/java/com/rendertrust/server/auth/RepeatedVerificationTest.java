package com.rendertrust.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.testing.MutableClock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A token is verified in full once, then recognised by its exact bytes; what changes with time
 * (expiry) is still checked on every call, and any other string is verified from scratch.
 */
class RepeatedVerificationTest {

  private final MutableClock clock = new MutableClock();
  private final TokenService tokens = new TokenService(SigningKeys.generate(), "rendertrust", clock);

  @Test
  void aTokenVerifiedBeforeStillExpiresOnTime() {
    IssuedToken access = tokens.issueAccess(UUID.randomUUID(), UUID.randomUUID(), Role.USER);
    VerifiedToken first = tokens.verify(access.value());
    assertThat(tokens.verify(access.value())).isEqualTo(first);

    clock.advance(Duration.between(clock.instant(), access.expiresAt()).plus(TokenService.CLOCK_SKEW).plusSeconds(1));
    assertThatThrownBy(() -> tokens.verify(access.value()))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOKEN_INVALID));
  }

  @Test
  void aStringDifferingFromAVerifiedTokenIsVerifiedFromScratch() {
    String token = tokens.issueAccess(UUID.randomUUID(), UUID.randomUUID(), Role.USER).value();
    tokens.verify(token);
    int payloadStart = token.indexOf('.') + 1;
    char flipped = token.charAt(payloadStart) == 'A' ? 'B' : 'A';
    String tampered = token.substring(0, payloadStart) + flipped + token.substring(payloadStart + 1);
    assertThatThrownBy(() -> tokens.verify(tampered))
        .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOKEN_INVALID));
    assertThat(tokens.verify(token).subject()).isNotNull();
  }
}
