package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.API_KEYS;
import static com.rendertrust.server.db.Tables.USERS;

import com.rendertrust.server.db.tables.records.ApiKeysRecord;
import com.rendertrust.server.platform.Ids;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * API keys for programmatic clients: {@code rt_live_} followed by 256 random bits. Only the
 * SHA-256 of a key is stored (a key has enough entropy that a fast hash is safe, and lookups
 * stay one indexed query); the owner sees the full key once, at creation.
 */
public final class ApiKeyService {

  public static final String KEY_PREFIX = "rt_live_";
  static final int MAX_ACTIVE_KEYS_PER_USER = 100;
  private static final int SHOWN_PREFIX_CHARS = KEY_PREFIX.length() + 8;
  private static final Pattern KEY_FORMAT = Pattern.compile(Pattern.quote(KEY_PREFIX) + "[A-Za-z0-9_-]{43}");
  /** Recording every use would turn each authenticated read into a write. */
  private static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

  private final Database database;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public ApiKeyService(Database database, Clock clock) {
    this.database = database;
    this.clock = clock;
  }

  /** An API key as its owner sees it. */
  public record ApiKey(UUID id, String name, String prefix, Instant createdAt, Optional<Instant> lastUsedAt,
      Optional<Instant> revokedAt) {
  }

  /** A new key and its secret, which is shown this once. */
  public record CreatedApiKey(ApiKey apiKey, String secret) {

    @Override
    public String toString() {
      return "CreatedApiKey[apiKey=" + apiKey + ", secret=***]";
    }
  }

  public CreatedApiKey create(UUID userId, String name) {
    String label = Credentials.validName(name, "name", 100);
    byte[] entropy = new byte[32];
    random.nextBytes(entropy);
    String secret = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(entropy);
    Instant now = now();
    ApiKeysRecord row = database.dsl().transactionResult(cfg -> {
      // Lock the owner so concurrent creations cannot overshoot the cap.
      cfg.dsl().selectOne().from(USERS).where(USERS.ID.eq(userId)).forUpdate().execute();
      int active = cfg.dsl().fetchCount(API_KEYS, API_KEYS.USER_ID.eq(userId).and(API_KEYS.REVOKED_AT.isNull()));
      if (active >= MAX_ACTIVE_KEYS_PER_USER) {
        throw Credentials.invalid("name", "at most " + MAX_ACTIVE_KEYS_PER_USER + " active API keys per account");
      }
      ApiKeysRecord created = cfg.dsl().newRecord(API_KEYS);
      created.setId(UUID.randomUUID());
      created.setUserId(userId);
      created.setName(label);
      created.setPrefix(secret.substring(0, SHOWN_PREFIX_CHARS));
      created.setKeyHash(Digests.sha256Hex(secret));
      created.setCreatedAt(utc(now));
      created.store();
      return created;
    });
    return new CreatedApiKey(toApiKey(row), secret);
  }

  /** The caller's keys, newest first, revoked ones included. */
  public List<ApiKey> list(UUID userId) {
    return database.dsl().selectFrom(API_KEYS)
        .where(API_KEYS.USER_ID.eq(userId))
        .orderBy(API_KEYS.CREATED_AT.desc(), API_KEYS.ID.desc())
        .fetch(ApiKeyService::toApiKey);
  }

  /** Revokes one of the caller's keys (idempotent); NOT_FOUND for unknown and foreign ids alike. */
  public ApiKey revoke(UUID userId, String keyId) {
    UUID id = Ids.parse(keyId).orElseThrow(() -> DomainException.notFound("API key"));
    return database.dsl().transactionResult(cfg -> {
      ApiKeysRecord row = cfg.dsl().selectFrom(API_KEYS)
          .where(API_KEYS.ID.eq(id).and(API_KEYS.USER_ID.eq(userId)))
          .forUpdate()
          .fetchOptional()
          .orElseThrow(() -> DomainException.notFound("API key"));
      if (row.getRevokedAt() == null) {
        row.setRevokedAt(utc(now()));
        row.store();
      }
      return toApiKey(row);
    });
  }

  /** The account a presented key belongs to; TOKEN_INVALID or TOKEN_REVOKED (401) otherwise. */
  public Account authenticate(String presentedKey) {
    if (presentedKey == null || !KEY_FORMAT.matcher(presentedKey).matches()) {
      throw invalidKey();
    }
    var row = database.dsl()
        .select(API_KEYS.ID, API_KEYS.REVOKED_AT, API_KEYS.LAST_USED_AT, USERS.ID, USERS.EMAIL, USERS.NAME,
            USERS.IS_ACTIVE, USERS.ROLE)
        .from(API_KEYS).join(USERS).on(USERS.ID.eq(API_KEYS.USER_ID))
        .where(API_KEYS.KEY_HASH.eq(Digests.sha256Hex(presentedKey)))
        .fetchOne();
    if (row == null || !row.get(USERS.IS_ACTIVE)) {
      throw invalidKey();
    }
    if (row.get(API_KEYS.REVOKED_AT) != null) {
      throw new DomainException(Reason.TOKEN_REVOKED, "API key has been revoked");
    }
    Instant now = now();
    OffsetDateTime lastUsed = row.get(API_KEYS.LAST_USED_AT);
    if (lastUsed == null || lastUsed.toInstant().isBefore(now.minus(LAST_USED_RESOLUTION))) {
      database.dsl().update(API_KEYS).set(API_KEYS.LAST_USED_AT, utc(now))
          .where(API_KEYS.ID.eq(row.get(API_KEYS.ID))).execute();
    }
    return new Account(row.get(USERS.ID), row.get(USERS.EMAIL), row.get(USERS.NAME), true,
        "admin".equals(row.get(USERS.ROLE)) ? Role.ADMIN : Role.USER);
  }

  private static DomainException invalidKey() {
    return new DomainException(Reason.TOKEN_INVALID, "invalid API key");
  }


  private static ApiKey toApiKey(ApiKeysRecord row) {
    return new ApiKey(row.getId(), row.getName(), row.getPrefix(), row.getCreatedAt().toInstant(),
        Optional.ofNullable(row.getLastUsedAt()).map(OffsetDateTime::toInstant),
        Optional.ofNullable(row.getRevokedAt()).map(OffsetDateTime::toInstant));
  }


  /** Postgres keeps microseconds: what we answer must equal what a later read answers. */
  private Instant now() {
    return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
