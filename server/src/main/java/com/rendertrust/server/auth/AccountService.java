package com.rendertrust.server.auth;

import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.config.AuthConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.ratelimit.RateLimit;
import com.rendertrust.server.platform.ratelimit.RateLimiter;
import java.util.Optional;
import java.util.UUID;

/**
 * Registration and login. Every path of a login that reaches the password check costs one
 * Argon2 verification (against a dummy hash for unknown e-mails), and unknown e-mail, wrong
 * password and inactive account give the same answer, so neither the reply nor its timing
 * tells which accounts exist.
 */
public final class AccountService {

  private final Database database;
  private final PasswordHasher hasher;
  private final SessionService sessions;
  private final RateLimiter limiter;
  private final RateLimit registerPerAddress;
  private final RateLimit loginPerAddress;
  private final RateLimit loginPerEmail;
  private final AccountRepository accounts = new AccountRepository();

  public AccountService(Database database, PasswordHasher hasher, SessionService sessions, RateLimiter limiter,
      AuthConfig.RateLimits limits) {
    this.database = database;
    this.hasher = hasher;
    this.sessions = sessions;
    this.limiter = limiter;
    this.registerPerAddress = RateLimit.perMinute("register:ip", limits.registerPerMinute());
    this.loginPerAddress = RateLimit.perMinute("login:ip", limits.loginPerMinute());
    this.loginPerEmail = RateLimit.perMinute("login:email", limits.loginPerMinute());
  }

  public record Registration(Account account, TokenPair tokens) {
  }

  /** Creates an account and its first session; EMAIL_TAKEN (409), VALIDATION_FAILED (422), RATE_LIMITED (429). */
  public Registration register(String email, String name, String password, String clientAddress) {
    limiter.acquire(registerPerAddress, clientAddress);
    String normalisedEmail = Credentials.validEmail(email);
    String normalisedPassword = Credentials.validNewPassword(password);
    String displayName = Credentials.validName(name, "name", Credentials.MAX_NAME_CHARS);
    if (accounts.emailTaken(database.dsl(), normalisedEmail)) {
      throw AccountRepository.emailTaken(); // cheap answer before the expensive hash
    }
    String hash = hasher.hash(normalisedPassword);
    Account account = new Account(UUID.randomUUID(), normalisedEmail, displayName, true, Role.USER);
    TokenPair tokens = database.dsl().transactionResult(cfg -> {
      // The UNIQUE constraint decides races between concurrent registrations of one e-mail.
      accounts.insert(cfg.dsl(), account, hash);
      return sessions.start(cfg.dsl(), account);
    });
    return new Registration(account, tokens);
  }

  /** A new session for valid credentials; INVALID_CREDENTIALS (401) for anything else. */
  public TokenPair login(String email, String password, String clientAddress) {
    limiter.acquire(loginPerAddress, clientAddress);
    String presentedEmail = email == null ? "" : Credentials.normaliseEmail(email);
    if (!presentedEmail.isEmpty()) {
      // keyed by a digest: Redis holds no e-mail addresses
      limiter.acquire(loginPerEmail, Digests.sha256Hex(presentedEmail));
    }
    if (presentedEmail.isEmpty()) {
      throw Credentials.invalid("email", "email is required");
    }
    if (password == null || password.isEmpty()) {
      throw Credentials.invalid("password", "password is required");
    }
    String candidate = Credentials.loginPassword(password);
    if (candidate == null) {
      throw invalidCredentials(); // longer than any password we accept: nothing to hash
    }
    Optional<AccountRepository.StoredAccount> stored = accounts.findByEmail(database.dsl(), presentedEmail);
    boolean passwordMatches = stored.isPresent()
        ? hasher.verify(candidate, stored.get().passwordHash())
        : hasher.verifyAgainstDummy(candidate);
    if (!passwordMatches || !stored.get().account().active()) {
      throw invalidCredentials();
    }
    Account account = stored.get().account();
    return database.dsl().transactionResult(cfg -> sessions.start(cfg.dsl(), account));
  }

  private static DomainException invalidCredentials() {
    return new DomainException(Reason.INVALID_CREDENTIALS, "invalid email or password");
  }
}
