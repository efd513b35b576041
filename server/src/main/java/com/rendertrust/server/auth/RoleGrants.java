package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.USERS;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.jooq.DSLContext;

/**
 * Granting the ADMIN role: only from the command line with database access
 * ({@code ./rendertrust admin grant --email ...}, {@code admin.AdminMain}); no API grants it. The
 * role is read from the users row at login, so the user's next login (or refresh) carries it.
 */
public final class RoleGrants {

  private RoleGrants() {
  }

  /** Grants ADMIN to the account with {@code email} (normalised as at registration); false when none has it. */
  public static boolean grantAdmin(DSLContext dsl, String email) {
    return dsl.update(USERS)
        .set(USERS.ROLE, "admin")
        .set(USERS.UPDATED_AT, OffsetDateTime.now(ZoneOffset.UTC))
        .where(USERS.EMAIL.eq(Credentials.normaliseEmail(email)))
        .execute() == 1;
  }
}
