package com.rendertrust.server.payments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import com.rendertrust.server.platform.redis.RedisConnector;
import com.rendertrust.server.testing.TestInfrastructure;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Checkout spam is cut off before Stripe (reliability.md S17), in real Redis, with a fixed clock. */
class CheckoutRateLimiterTest {

  private static final Instant AT = Instant.parse("2026-11-23T12:00:45Z");

  @Test
  void theLimitIsPerUserPerMinuteAndSaysWhenToRetry() {
    try (RedisConnector redis = RedisConnector.connect(TestInfrastructure.redisUrl())) {
      CheckoutRateLimiter limiter = new CheckoutRateLimiter(redis.connection(), 3, Clock.fixed(AT, ZoneOffset.UTC));
      UUID user = UUID.randomUUID();
      for (int i = 0; i < 3; i++) {
        limiter.acquire(user);
      }
      assertThatThrownBy(() -> limiter.acquire(user)).isInstanceOfSatisfying(DomainException.class, e -> {
        assertThat(e.reason()).isEqualTo(Reason.RATE_LIMITED);
        assertThat(e.metadata()).containsEntry("retry_after_seconds", "15");
      });
      assertThatCode(() -> limiter.acquire(UUID.randomUUID())).as("another user").doesNotThrowAnyException();
      CheckoutRateLimiter nextMinute = new CheckoutRateLimiter(redis.connection(), 3,
          Clock.fixed(AT.plusSeconds(20), ZoneOffset.UTC));
      assertThatCode(() -> nextMinute.acquire(user)).doesNotThrowAnyException();
    }
  }

  @Test
  void withRedisDownTheLimitIsSkippedNotTheCheckout() {
    EmbeddedRedisProcess ownRedis = EmbeddedRedisProcess.start();
    try (RedisConnector redis = RedisConnector.connect(ownRedis.url())) {
      CheckoutRateLimiter limiter = new CheckoutRateLimiter(redis.connection(), 1, Clock.fixed(AT, ZoneOffset.UTC));
      UUID user = UUID.randomUUID();
      limiter.acquire(user);
      ownRedis.close();
      long started = System.nanoTime();
      assertThatCode(() -> limiter.acquire(user)).doesNotThrowAnyException();
      assertThat((System.nanoTime() - started) / 1_000_000).as("fails fast, ms").isLessThan(3_000);
    } finally {
      ownRedis.close();
    }
  }
}
