package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.REFRESH_FAMILIES;
import static com.rendertrust.server.db.Tables.REFRESH_TOKENS;

import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.ratelimit.RateLimit;
import com.rendertrust.server.platform.ratelimit.RateLimiter;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;

/**
 * Login sessions as refresh-token families (RFC 9700 §4.14): every refresh rotates the token;
 * presenting a rotated token again means it was stolen (or replayed), so the whole family is
 * revoked, together with the unexpired access tokens issued in it. Two refreshes racing with
 * the same token count as reuse too: the family row lock serialises them, the first rotates,
 * the second revokes. There is no grace window, so a client that lost the response of a
 * refresh logs in again (the documented choice).
 */
public final class SessionService {

  private final Database database;
  private final TokenService tokens;
  private final TokenRevocations revocations;
  private final RateLimiter limiter;
  private final RateLimit refreshLimit;
  private final Clock clock;
  private final AccountRepository accounts = new AccountRepository();

  public SessionService(Database database, TokenService tokens, TokenRevocations revocations, RateLimiter limiter,
      int refreshesPerMinute, Clock clock) {
    this.database = database;
    this.tokens = tokens;
    this.revocations = revocations;
    this.limiter = limiter;
    this.refreshLimit = RateLimit.perMinute("refresh:ip", refreshesPerMinute);
    this.clock = clock;
  }

  /** Opens a new family for {@code account} within the caller's transaction. */
  TokenPair start(DSLContext tx, Account account) {
    UUID familyId = UUID.randomUUID();
    tx.insertInto(REFRESH_FAMILIES)
        .set(REFRESH_FAMILIES.ID, familyId)
        .set(REFRESH_FAMILIES.USER_ID, account.id())
        .set(REFRESH_FAMILIES.CREATED_AT, utc(clock.instant()))
        .execute();
    return issuePair(tx, account, familyId);
  }

  /** Rotates {@code refreshToken}: a new pair, or TOKEN_INVALID / TOKEN_REVOKED (401). */
  public TokenPair refresh(String refreshToken, String clientAddress) {
    limiter.acquire(refreshLimit, clientAddress);
    VerifiedToken presented = tokens.verify(refreshToken);
    if (presented.type() != TokenType.REFRESH) {
      throw TokenService.invalid();
    }
    UUID familyId = presented.sessionId().orElseThrow(TokenService::invalid);
    Rotation rotation = database.dsl().transactionResult(cfg -> rotate(cfg.dsl(), presented, familyId));
    if (rotation.pair() != null) {
      return rotation.pair();
    }
    revocations.publish(rotation.revoked());
    throw revoked();
  }

  /**
   * Ends the session of an access token: that token and every token of its family stop working.
   */
  public void logout(UUID userId, UUID sessionId, UUID accessJti, Instant accessExpiresAt) {
    List<TokenRevocations.Revoked> revoked = database.dsl().transactionResult(cfg -> {
      DSLContext tx = cfg.dsl();
      List<TokenRevocations.Revoked> denied = new ArrayList<>();
      denied.add(new TokenRevocations.Revoked(accessJti, accessExpiresAt));
      Record family = lockFamily(tx, sessionId);
      if (family != null && family.get(REFRESH_FAMILIES.USER_ID).equals(userId)
          && family.get(REFRESH_FAMILIES.REVOKED_AT) == null) {
        denied.addAll(revokeFamily(tx, sessionId, "logout"));
      }
      revocations.record(tx, denied);
      return denied;
    });
    revocations.publish(revoked);
  }

  /** What deactivating a user ended: its open sessions and its unrevoked API keys. */
  public record Deactivation(int sessionsRevoked, int apiKeysRevoked) {
  }

  /**
   * Deactivates the user (login, refresh and API keys are refused from now on), revokes every
   * open session (refresh family) with the access tokens issued in it, and every API key. Empty
   * for an unknown user. Repeating it changes nothing more.
   */
  public java.util.Optional<Deactivation> deactivate(UUID userId) {
    record Done(Deactivation deactivation, List<TokenRevocations.Revoked> denied) {
    }
    java.util.Optional<Done> done = database.dsl().transactionResult(cfg -> {
      DSLContext tx = cfg.dsl();
      Instant now = clock.instant();
      int users = tx.update(com.rendertrust.server.db.Tables.USERS)
          .set(com.rendertrust.server.db.Tables.USERS.IS_ACTIVE, false)
          .set(com.rendertrust.server.db.Tables.USERS.UPDATED_AT, utc(now))
          .where(com.rendertrust.server.db.Tables.USERS.ID.eq(userId))
          .execute();
      if (users == 0) {
        return java.util.Optional.<Done>empty();
      }
      List<UUID> open = tx.select(REFRESH_FAMILIES.ID).from(REFRESH_FAMILIES)
          .where(REFRESH_FAMILIES.USER_ID.eq(userId), REFRESH_FAMILIES.REVOKED_AT.isNull())
          .orderBy(REFRESH_FAMILIES.ID)
          .forUpdate()
          .fetch(REFRESH_FAMILIES.ID);
      List<TokenRevocations.Revoked> denied = new ArrayList<>();
      for (UUID family : open) {
        denied.addAll(revokeFamily(tx, family, "deactivated"));
      }
      revocations.record(tx, denied);
      int keys = tx.update(com.rendertrust.server.db.Tables.API_KEYS)
          .set(com.rendertrust.server.db.Tables.API_KEYS.REVOKED_AT, utc(now))
          .where(com.rendertrust.server.db.Tables.API_KEYS.USER_ID.eq(userId),
              com.rendertrust.server.db.Tables.API_KEYS.REVOKED_AT.isNull())
          .execute();
      return java.util.Optional.of(new Done(new Deactivation(open.size(), keys), denied));
    });
    done.ifPresent(d -> revocations.publish(d.denied()));
    return done.map(Done::deactivation);
  }

  /** Whether the user exists (active or not). */
  public boolean exists(UUID userId) {
    return database.dsl().fetchExists(com.rendertrust.server.db.Tables.USERS,
        com.rendertrust.server.db.Tables.USERS.ID.eq(userId));
  }

  private record Rotation(TokenPair pair, List<TokenRevocations.Revoked> revoked) {
  }

  private Rotation rotate(DSLContext tx, VerifiedToken presented, UUID familyId) {
    Record family = lockFamily(tx, familyId);
    if (family == null || !family.get(REFRESH_FAMILIES.USER_ID).equals(presented.subject())) {
      throw TokenService.invalid();
    }
    if (family.get(REFRESH_FAMILIES.REVOKED_AT) != null) {
      return new Rotation(null, List.of());
    }
    var token = tx.selectFrom(REFRESH_TOKENS)
        .where(REFRESH_TOKENS.JTI.eq(presented.jti()).and(REFRESH_TOKENS.FAMILY_ID.eq(familyId)))
        .fetchOne();
    if (token == null) {
      throw TokenService.invalid();
    }
    if (token.getUsedAt() != null) {
      List<TokenRevocations.Revoked> denied = revokeFamily(tx, familyId, "reuse_detected");
      revocations.record(tx, denied);
      return new Rotation(null, denied);
    }
    Account owner = accounts.findById(tx, presented.subject()).orElse(null);
    if (owner == null || !owner.active()) {
      return new Rotation(null, List.of());
    }
    token.setUsedAt(utc(clock.instant()));
    token.store();
    return new Rotation(issuePair(tx, owner, familyId), List.of());
  }

  private Record lockFamily(DSLContext tx, UUID familyId) {
    return tx.select(REFRESH_FAMILIES.USER_ID, REFRESH_FAMILIES.REVOKED_AT)
        .from(REFRESH_FAMILIES)
        .where(REFRESH_FAMILIES.ID.eq(familyId))
        .forUpdate()
        .fetchOne();
  }

  /** Marks the family revoked and returns its access tokens that are still alive. */
  private List<TokenRevocations.Revoked> revokeFamily(DSLContext tx, UUID familyId, String reason) {
    Instant now = clock.instant();
    tx.update(REFRESH_FAMILIES)
        .set(REFRESH_FAMILIES.REVOKED_AT, utc(now))
        .set(REFRESH_FAMILIES.REVOKED_REASON, reason)
        .where(REFRESH_FAMILIES.ID.eq(familyId))
        .execute();
    return tx.select(REFRESH_TOKENS.ACCESS_JTI, REFRESH_TOKENS.ACCESS_EXPIRES_AT)
        .from(REFRESH_TOKENS)
        .where(REFRESH_TOKENS.FAMILY_ID.eq(familyId)
            .and(REFRESH_TOKENS.ACCESS_EXPIRES_AT.gt(utc(now.minus(TokenService.CLOCK_SKEW)))))
        .fetch(row -> new TokenRevocations.Revoked(row.value1(), row.value2().toInstant()));
  }

  private TokenPair issuePair(DSLContext tx, Account account, UUID familyId) {
    IssuedToken access = tokens.issueAccess(account.id(), familyId, account.role());
    IssuedToken refresh = tokens.issueRefresh(account.id(), familyId);
    tx.insertInto(REFRESH_TOKENS)
        .set(REFRESH_TOKENS.JTI, refresh.jti())
        .set(REFRESH_TOKENS.FAMILY_ID, familyId)
        .set(REFRESH_TOKENS.ISSUED_AT, utc(refresh.issuedAt()))
        .set(REFRESH_TOKENS.EXPIRES_AT, utc(refresh.expiresAt()))
        .set(REFRESH_TOKENS.ACCESS_JTI, access.jti())
        .set(REFRESH_TOKENS.ACCESS_EXPIRES_AT, utc(access.expiresAt()))
        .execute();
    return new TokenPair(access.value(), refresh.value());
  }

  static DomainException revoked() {
    return new DomainException(Reason.TOKEN_REVOKED, "token has been revoked");
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
