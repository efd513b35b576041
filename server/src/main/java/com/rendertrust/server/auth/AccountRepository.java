package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.USERS;

import com.rendertrust.server.db.tables.records.UsersRecord;
import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;

/** Accounts in Postgres; e-mails arrive here already normalised. */
final class AccountRepository {

  private static final String UNIQUE_VIOLATION = "23505";

  /** An account with its stored password hash, for login only. */
  record StoredAccount(Account account, String passwordHash) {
  }

  boolean emailTaken(DSLContext dsl, String email) {
    return dsl.fetchExists(USERS, USERS.EMAIL.eq(email));
  }

  /** Inserts a new account; EMAIL_TAKEN when the e-mail is registered (also when a concurrent insert won). */
  void insert(DSLContext tx, Account account, String passwordHash) {
    try {
      tx.insertInto(USERS)
          .set(USERS.ID, account.id())
          .set(USERS.EMAIL, account.email())
          .set(USERS.NAME, account.name())
          .set(USERS.PASSWORD_HASH, passwordHash)
          .set(USERS.ROLE, roleName(account.role()))
          .set(USERS.IS_ACTIVE, account.active())
          .execute();
    } catch (DataAccessException e) {
      if (UNIQUE_VIOLATION.equals(e.sqlState())) {
        throw emailTaken();
      }
      throw e;
    }
  }

  Optional<StoredAccount> findByEmail(DSLContext dsl, String email) {
    return dsl.selectFrom(USERS).where(USERS.EMAIL.eq(email)).fetchOptional()
        .map(row -> new StoredAccount(toAccount(row), row.getPasswordHash()));
  }

  Optional<Account> findById(DSLContext dsl, UUID id) {
    return dsl.selectFrom(USERS).where(USERS.ID.eq(id)).fetchOptional().map(AccountRepository::toAccount);
  }

  static DomainException emailTaken() {
    return new DomainException(Reason.EMAIL_TAKEN, "email already registered");
  }

  private static Account toAccount(UsersRecord row) {
    return new Account(row.getId(), row.getEmail(), row.getName(), row.getIsActive(),
        "admin".equals(row.getRole()) ? Role.ADMIN : Role.USER);
  }

  private static String roleName(Role role) {
    return switch (role) {
      case ADMIN -> "admin";
      case USER -> "user";
      case NODE -> throw new IllegalArgumentException("nodes are not accounts");
    };
  }
}
