package com.rendertrust.server.platform.ratelimit;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.redis.RedisCalls;
import com.rendertrust.server.platform.redis.RedisConnector;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sliding-window rate limits shared by every replica through Redis (one Lua script: drop
 * attempts older than the window, count, admit or refuse, atomically, on Redis' own clock).
 * While Redis is unreachable a per-process window keeps limiting. A refused attempt is a
 * {@link Reason#RATE_LIMITED} failure whose {@code retry_after_seconds} becomes {@code Retry-After}.
 */
public final class RateLimiter {

  private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
  private static final Duration REDIS_TIMEOUT = Duration.ofMillis(250);

  /** KEYS[1] the window; ARGV limit, window ms, a unique member. Returns {allowed, retry ms}. */
  private static final String SLIDING_WINDOW = """
      redis.replicate_commands()
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local limit = tonumber(ARGV[1])
      local window = tonumber(ARGV[2])
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
      if redis.call('ZCARD', KEYS[1]) < limit then
        redis.call('ZADD', KEYS[1], now, ARGV[3])
        redis.call('PEXPIRE', KEYS[1], window)
        return {1, 0}
      end
      local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
      return {0, tonumber(oldest[2]) + window - now}
      """;

  private final RedisConnector redis;
  private final String keyPrefix;
  private final LocalSlidingWindow fallback;
  private volatile String scriptSha;

  /** {@code keyPrefix} namespaces the counters (one namespace per installation). */
  public RateLimiter(RedisConnector redis, String keyPrefix) {
    this.redis = redis;
    this.keyPrefix = keyPrefix;
    this.fallback = new LocalSlidingWindow(() -> System.nanoTime() / 1_000_000);
  }

  /** Counts one attempt of {@code subject} against {@code limit}; throws RATE_LIMITED when over it. */
  public void acquire(RateLimit limit, String subject) {
    String key = keyPrefix + "rl:" + limit.name() + ":" + subject;
    long windowMillis = limit.window().toMillis();
    long retryMillis;
    try {
      retryMillis = viaRedis(key, limit.maxAttempts(), windowMillis);
    } catch (RuntimeException e) {
      log.debug("rate limit {} falls back to the per-process window: {}", limit.name(), e.toString());
      retryMillis = fallback.tryAcquire(key, limit.maxAttempts(), windowMillis);
    }
    if (retryMillis > 0) {
      long seconds = Math.max(1, (retryMillis + 999) / 1000);
      throw new DomainException(Reason.RATE_LIMITED,
          "too many attempts, retry in " + seconds + " s",
          Map.of("retry_after_seconds", Long.toString(seconds)));
    }
  }

  private long viaRedis(String key, int maxAttempts, long windowMillis) {
    String[] keys = {key};
    String[] args = {Integer.toString(maxAttempts), Long.toString(windowMillis), UUID.randomUUID().toString()};
    List<Object> result;
    try {
      result = evalsha(keys, args);
    } catch (RedisNoScriptException e) {
      scriptSha = null; // Redis restarted and forgot the script
      result = evalsha(keys, args);
    }
    long allowed = (Long) result.get(0);
    return allowed == 1 ? 0 : Math.max(1, (Long) result.get(1));
  }

  private List<Object> evalsha(String[] keys, String[] args) {
    String sha = scriptSha;
    if (sha == null) {
      sha = RedisCalls.await(redis.connection().async().scriptLoad(SLIDING_WINDOW), REDIS_TIMEOUT);
      scriptSha = sha;
    }
    return RedisCalls.await(redis.connection().async().<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args),
        REDIS_TIMEOUT);
  }
}
