package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.REVOKED_TOKENS;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.redis.RedisCalls;
import com.rendertrust.server.platform.redis.RedisConnector;
import io.lettuce.core.KeyValue;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The denylist of revoked token ids ({@code jti}) of tokens that have not expired yet.
 *
 * <p>Postgres ({@code revoked_tokens}) is the source of truth and is written first, inside the
 * caller's transaction. Redis holds a copy (one key per jti, expiring with the token) so the
 * hot path of every authenticated call costs one Redis round trip. Redis is only believed when
 * it says "revoked", or when its {@code ready} marker shows that it holds the complete list;
 * otherwise (Redis down, slow, restarted empty, or this replica failed to copy a revocation
 * into it) the answer comes from Postgres. So a revoked token is never accepted because Redis
 * lost something: the failure mode is a slower check, not an open door.
 */
public final class TokenRevocations implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TokenRevocations.class);
  private static final Duration REDIS_TIMEOUT = Duration.ofMillis(250);
  private static final long RESYNC_INTERVAL_MILLIS = 1_000;
  private static final Duration PURGE_INTERVAL = Duration.ofHours(1);

  private final Database database;
  private final RedisConnector redis;
  private final String keyPrefix;
  private final String readyKey;
  private final Clock clock;
  private final ScheduledExecutorService resyncer;
  private final AtomicBoolean resyncRunning = new AtomicBoolean();
  /** Set when a revocation could not be copied to Redis: Redis is incomplete until a resync. */
  private volatile boolean redisIncomplete = true;

  public TokenRevocations(Database database, RedisConnector redis, String keyPrefix, Clock clock) {
    this.database = database;
    this.redis = redis;
    this.keyPrefix = keyPrefix + "revoked:";
    this.readyKey = keyPrefix + "revoked-ready";
    this.clock = clock;
    this.resyncer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("rt-revocation-sync").factory());
    resyncer.scheduleWithFixedDelay(this::resyncIfNeeded, 0, RESYNC_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    resyncer.scheduleWithFixedDelay(this::purgeExpired, PURGE_INTERVAL.toMillis(), PURGE_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** A token to deny until it expires. */
  public record Revoked(UUID jti, Instant expiresAt) {
  }

  /**
   * Records revocations durably within the caller's transaction ({@code tx}); call
   * {@link #publish} with the same list after it commits.
   */
  public void record(DSLContext tx, Collection<Revoked> revocations) {
    Instant now = clock.instant();
    for (Revoked revoked : revocations) {
      if (!revoked.expiresAt().plus(TokenService.CLOCK_SKEW).isAfter(now)) {
        continue; // already refused as expired
      }
      tx.insertInto(REVOKED_TOKENS)
          .columns(REVOKED_TOKENS.JTI, REVOKED_TOKENS.EXPIRES_AT, REVOKED_TOKENS.REVOKED_AT)
          .values(revoked.jti(), utc(revoked.expiresAt()), utc(now))
          .onConflictDoNothing()
          .execute();
    }
  }

  /** Copies committed revocations into Redis; on failure Redis is treated as incomplete. */
  public void publish(Collection<Revoked> revocations) {
    try {
      copyToRedis(revocations);
    } catch (RuntimeException e) {
      redisIncomplete = true;
      log.warn("could not copy {} revocation(s) to Redis; checking Postgres until it is resynced: {}",
          revocations.size(), e.toString());
    }
  }

  /** Revokes one token (e.g. a node token) in its own transaction. */
  public void revoke(UUID jti, Instant expiresAt) {
    List<Revoked> revoked = List.of(new Revoked(jti, expiresAt));
    database.dsl().transaction(cfg -> record(cfg.dsl(), revoked));
    publish(revoked);
  }

  /** True when the token with this id has been revoked. Never answers false because Redis is unavailable. */
  public boolean isRevoked(UUID jti) {
    if (!redisIncomplete) {
      try {
        List<KeyValue<String, String>> values =
            RedisCalls.await(redis.connection().async().mget(keyPrefix + jti, readyKey), REDIS_TIMEOUT);
        if (values.get(0).hasValue()) {
          return true;
        }
        if (values.get(1).hasValue()) {
          return false;
        }
        redisIncomplete = true; // Redis restarted empty (or evicted the marker): rebuild it
        resyncer.execute(this::resyncIfNeeded);
      } catch (RuntimeException e) {
        log.debug("revocation check falls back to Postgres: {}", e.toString());
      }
    }
    return database.dsl().fetchExists(REVOKED_TOKENS, REVOKED_TOKENS.JTI.eq(jti));
  }

  /** Rebuilds the Redis copy from Postgres, then marks it complete; a no-op while Redis is unreachable. */
  private void resyncIfNeeded() {
    if (!redisIncomplete || !resyncRunning.compareAndSet(false, true)) {
      return;
    }
    try {
      // Clear the flag before reading Postgres: a publish failing meanwhile sets it again.
      redisIncomplete = false;
      RedisCalls.await(redis.connection().async().del(readyKey), REDIS_TIMEOUT);
      purgeExpired();
      List<Revoked> live = database.dsl()
          .select(REVOKED_TOKENS.JTI, REVOKED_TOKENS.EXPIRES_AT)
          .from(REVOKED_TOKENS)
          .fetch(row -> new Revoked(row.value1(), row.value2().toInstant()));
      copyToRedis(live);
      RedisCalls.await(redis.connection().async().set(readyKey, clock.instant().toString()), REDIS_TIMEOUT);
      log.info("revocation cache in Redis rebuilt from Postgres ({} live revocations)", live.size());
    } catch (RuntimeException e) {
      redisIncomplete = true;
      log.debug("revocation cache resync postponed: {}", e.toString());
    } finally {
      resyncRunning.set(false);
    }
  }

  /** Rows of tokens past expiry (plus the verifier's clock skew) guard nothing any more. */
  private void purgeExpired() {
    try {
      OffsetDateTime stale = utc(clock.instant().minus(TokenService.CLOCK_SKEW));
      database.dsl().deleteFrom(REVOKED_TOKENS).where(REVOKED_TOKENS.EXPIRES_AT.lt(stale)).execute();
    } catch (RuntimeException e) {
      log.debug("purging expired revocations postponed: {}", e.toString());
    }
  }

  private void copyToRedis(Collection<Revoked> revocations) {
    if (revocations.isEmpty()) {
      return;
    }
    RedisAsyncCommands<String, String> commands = redis.connection().async();
    Instant now = clock.instant();
    List<io.lettuce.core.RedisFuture<String>> writes = new ArrayList<>();
    for (Revoked revoked : revocations) {
      long ttlMillis = Duration.between(now, revoked.expiresAt()).plus(TokenService.CLOCK_SKEW).toMillis();
      if (ttlMillis > 0) {
        writes.add(commands.set(keyPrefix + revoked.jti(), "1", SetArgs.Builder.px(ttlMillis)));
      }
    }
    for (io.lettuce.core.RedisFuture<String> write : writes) {
      RedisCalls.await(write, REDIS_TIMEOUT);
    }
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  @Override
  public void close() {
    resyncer.shutdownNow();
  }
}
