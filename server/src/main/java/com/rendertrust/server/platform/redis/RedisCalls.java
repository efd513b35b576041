package com.rendertrust.server.platform.redis;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for a Lettuce future with a deadline of the caller's choosing, so a hot path can give
 * Redis far less time than the connection-wide command timeout. Every failure (Redis down,
 * timeout, error reply) surfaces as a RuntimeException the caller falls back on.
 */
public final class RedisCalls {

  private RedisCalls() {
  }

  public static <T> T await(Future<T> future, Duration timeout) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Redis", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException("Redis call failed", e.getCause());
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new IllegalStateException("Redis did not answer within " + timeout.toMillis() + " ms", e);
    }
  }
}
