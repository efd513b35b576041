package com.rendertrust.server.payments;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most N Checkout sessions per user per clock minute, counted in Redis before any call to
 * Stripe (each session costs an API call and clutters the Stripe dashboard). Redis holds only
 * what may be lost: when it is down the limit is skipped (fails open) and logged, since no
 * credit can be gained by starting sessions, only paid for.
 */
public final class CheckoutRateLimiter {

  private static final Logger log = LoggerFactory.getLogger(CheckoutRateLimiter.class);

  /** INCR the window's counter and give it a TTL on first use, atomically. */
  private static final String SCRIPT = """
      local count = redis.call('INCR', KEYS[1])
      if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
      return count
      """;

  private final StatefulRedisConnection<String, String> redis;
  private final int perMinute;
  private final Clock clock;

  public CheckoutRateLimiter(StatefulRedisConnection<String, String> redis, int perMinute, Clock clock) {
    this.redis = redis;
    this.perMinute = perMinute;
    this.clock = clock;
  }

  /** Counts one attempt; 429 RATE_LIMITED (with retry_after_seconds) beyond the limit. */
  public void acquire(UUID userId) {
    long nowSeconds = clock.instant().getEpochSecond();
    long minute = nowSeconds / 60;
    long count;
    try {
      count = redis.sync().<Long>eval(SCRIPT, ScriptOutputType.INTEGER,
          new String[] {"rt:checkout:" + userId + ":" + minute}, "120");
    } catch (RuntimeException e) {
      log.warn("checkout rate limit skipped: Redis unavailable ({})", e.getClass().getSimpleName());
      return;
    }
    if (count > perMinute) {
      long retryAfter = Math.max(1, (minute + 1) * 60 - nowSeconds);
      throw new DomainException(Reason.RATE_LIMITED, "too many checkout sessions, retry later",
          Map.of("retry_after_seconds", Long.toString(retryAfter)));
    }
  }
}
