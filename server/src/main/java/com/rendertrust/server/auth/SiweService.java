package com.rendertrust.server.auth;

import com.rendertrust.server.platform.auth.Role;
import com.rendertrust.server.platform.chain.EthAddresses;
import com.rendertrust.server.platform.config.AuthConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.ratelimit.RateLimit;
import com.rendertrust.server.platform.ratelimit.RateLimiter;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/**
 * Sign-In with Ethereum (EIP-4361): issues single-use messages, verifies their EIP-191
 * signatures, signs in (or creates) the wallet's account, and links wallets to accounts.
 *
 * <p>Every verification failure is the same 401 INVALID_CREDENTIALS (with a detail saying
 * which check failed); a failed attempt leaves the nonce unused, a successful one spends it in
 * the transaction that signs in or links, under the nonce's row lock, so a message signs in
 * once however many requests race with it.
 */
public final class SiweService {

  /** How long an issued message is accepted. */
  public static final Duration MESSAGE_TTL = Duration.ofMinutes(10);

  private static final Pattern SIGNATURE = Pattern.compile("0x[0-9a-fA-F]{130}");
  private static final char[] NONCE_ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final int NONCE_CHARS = 24;
  /** Accounts created by a wallet get an address of a reserved domain (RFC 2606) no one can register. */
  static final String WALLET_EMAIL_DOMAIN = "@wallet.invalid";

  /**
   * Where this server is: its public base URL (domain and URI of the message) and the id of the
   * chain whose wallets sign in (empty: no chain configured, so sign-in is unavailable).
   */
  public record Settings(Supplier<URI> publicBaseUrl, Supplier<OptionalLong> chainId) {
  }

  /** An issued message. */
  public record Issued(String nonce, String message, Instant expiresAt) {
  }

  /** A verified sign-in: the account, its new session, and whether it was created now. */
  public record SignIn(Account account, TokenPair tokens, boolean created) {
  }

  /** A wallet of an account, EIP-55 checksummed. */
  public record Wallet(String address, Instant createdAt) {
  }

  private final Database database;
  private final SessionService sessions;
  private final PasswordHasher hasher;
  private final RateLimiter limiter;
  private final RateLimit noncesPerAddress;
  private final RateLimit verificationsPerAddress;
  private final Settings settings;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final AccountRepository accounts = new AccountRepository();
  private final WalletRepository wallets = new WalletRepository();

  public SiweService(Database database, SessionService sessions, PasswordHasher hasher, RateLimiter limiter,
      AuthConfig.RateLimits limits, Settings settings, Clock clock) {
    this.database = database;
    this.sessions = sessions;
    this.hasher = hasher;
    this.limiter = limiter;
    this.noncesPerAddress = RateLimit.perMinute("siwe-nonce:ip", limits.loginPerMinute());
    this.verificationsPerAddress = RateLimit.perMinute("siwe-verify:ip", limits.loginPerMinute());
    this.settings = settings;
    this.clock = clock;
  }

  /** A new message for {@code address} to sign; VALIDATION_FAILED (422), RATE_LIMITED (429). */
  public Issued issue(String address, String clientAddress) {
    limiter.acquire(noncesPerAddress, clientAddress);
    String stored = EthAddresses.normalise(address).orElseThrow(() -> new DomainException(Reason.VALIDATION_FAILED,
        "address must be 0x and 40 hex digits (a mixed-case one with a valid EIP-55 checksum)",
        Map.of("field", "address")));
    long chainId = chainId();
    URI base = settings.publicBaseUrl().get();
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    SiweMessage message = new SiweMessage(base.getRawAuthority(), Keys.toChecksumAddress(stored), base.toString(),
        chainId, newNonce(), now, now.plus(MESSAGE_TTL));
    wallets.purgeExpired(database.dsl(), now.minus(MESSAGE_TTL));
    wallets.insertNonce(database.dsl(), message.nonce(), stored, message.text(), now, message.expiresAt());
    return new Issued(message.nonce(), message.text(), message.expiresAt());
  }

  /** Signs in the wallet's account, creating it on first use; INVALID_CREDENTIALS (401) for any failed check. */
  public SignIn verify(String message, String signature, String clientAddress) {
    limiter.acquire(verificationsPerAddress, clientAddress);
    SiweMessage checked = check(message, signature);
    String address = checked.address().toLowerCase(Locale.ROOT);
    // An account of a wallet has a password no one knows; hashed outside the transaction when
    // the wallet is new (the usual case for creation).
    String unusablePassword = wallets.find(database.dsl(), address).isPresent() ? null : unusablePassword();
    return database.dsl().transactionResult(cfg -> {
      DSLContext tx = cfg.dsl();
      spend(tx, checked, message);
      wallets.lockAddress(tx, address);
      Optional<WalletRepository.LinkedWallet> linked = wallets.find(tx, address);
      if (linked.isPresent()) {
        Account account = accounts.findById(tx, linked.get().userId())
            .filter(Account::active)
            .orElseThrow(() -> invalid("the wallet's account is deactivated"));
        return new SignIn(account, sessions.start(tx, account), false);
      }
      UUID id = UUID.randomUUID();
      Account account = new Account(id, id + WALLET_EMAIL_DOMAIN, "Wallet " + checked.address(), true, Role.USER);
      accounts.insert(tx, account, unusablePassword != null ? unusablePassword : unusablePassword());
      wallets.insert(tx, address, id, clock.instant()).orElseThrow();
      return new SignIn(account, sessions.start(tx, account), true);
    });
  }

  /** Links the signed message's wallet to {@code userId}; WALLET_TAKEN (409) when another account has it. */
  public Wallet link(UUID userId, String message, String signature, String clientAddress) {
    limiter.acquire(verificationsPerAddress, clientAddress);
    SiweMessage checked = check(message, signature);
    String address = checked.address().toLowerCase(Locale.ROOT);
    WalletRepository.LinkedWallet wallet = database.dsl().transactionResult(cfg -> {
      DSLContext tx = cfg.dsl();
      spend(tx, checked, message);
      wallets.lockAddress(tx, address);
      Optional<WalletRepository.LinkedWallet> linked = wallets.find(tx, address);
      if (linked.isPresent() && !linked.get().userId().equals(userId)) {
        throw new DomainException(Reason.WALLET_TAKEN, "wallet is linked to another account");
      }
      return linked.orElseGet(() -> wallets.insert(tx, address, userId, clock.instant()).orElseThrow());
    });
    return new Wallet(EthAddresses.checksummed(wallet.address()), wallet.createdAt());
  }

  public List<Wallet> list(UUID userId) {
    return wallets.listOf(database.dsl(), userId).stream()
        .map(w -> new Wallet(EthAddresses.checksummed(w.address()), w.createdAt()))
        .toList();
  }

  /** Every check that needs no database: shape, domain, URI, chain, times and the signer. */
  private SiweMessage check(String message, String signature) {
    if (message == null || message.isEmpty()) {
      throw new DomainException(Reason.VALIDATION_FAILED, "message is required", Map.of("field", "message"));
    }
    if (signature == null || signature.isEmpty()) {
      throw new DomainException(Reason.VALIDATION_FAILED, "signature is required", Map.of("field", "signature"));
    }
    SiweMessage parsed = SiweMessage.parse(message).orElseThrow(() -> invalid("not a sign-in message of this server"));
    URI base = settings.publicBaseUrl().get();
    if (!parsed.domain().equals(base.getRawAuthority()) || !parsed.uri().equals(base.toString())) {
      throw invalid("message is for another domain");
    }
    if (parsed.chainId() != chainId()) {
      throw invalid("message is for another chain");
    }
    Instant now = clock.instant();
    if (!now.isBefore(parsed.expiresAt())) {
      throw invalid("message expired");
    }
    if (now.plusSeconds(5).isBefore(parsed.issuedAt())) {
      throw invalid("message issued in the future");
    }
    String signer = recoverSigner(message, signature);
    if (!signer.equalsIgnoreCase(parsed.address())) {
      throw invalid("signature is not by the message's address");
    }
    return parsed;
  }

  /** Spends the message's nonce in {@code tx}: it must be ours, for exactly this text, unexpired and unused. */
  private void spend(DSLContext tx, SiweMessage parsed, String message) {
    WalletRepository.IssuedNonce nonce = wallets.lockNonce(tx, parsed.nonce())
        .orElseThrow(() -> invalid("unknown nonce"));
    if (!nonce.message().equals(message)) {
      throw invalid("message differs from the one issued");
    }
    if (nonce.usedAt().isPresent()) {
      throw invalid("nonce already used");
    }
    Instant now = clock.instant();
    if (!now.isBefore(nonce.expiresAt())) {
      throw invalid("message expired");
    }
    wallets.markUsed(tx, parsed.nonce(), now);
  }

  /** The address (lower case) whose key made the EIP-191 {@code personal_sign} signature of {@code message}. */
  static String recoverSigner(String message, String signature) {
    if (!SIGNATURE.matcher(signature).matches()) {
      throw invalid("signature must be 0x and 130 hex digits");
    }
    byte[] bytes = Numeric.hexStringToByteArray(signature);
    byte v = bytes[64];
    if (v < 27) {
      v += 27;
    }
    if (v != 27 && v != 28) {
      throw invalid("signature has an invalid recovery id");
    }
    Sign.SignatureData data = new Sign.SignatureData(v, Arrays.copyOfRange(bytes, 0, 32),
        Arrays.copyOfRange(bytes, 32, 64));
    try {
      BigInteger key = Sign.signedPrefixedMessageToKey(message.getBytes(StandardCharsets.UTF_8), data);
      return "0x" + Keys.getAddress(key);
    } catch (SignatureException | RuntimeException e) {
      throw invalid("signature does not verify");
    }
  }

  private long chainId() {
    return settings.chainId().get().orElseThrow(() -> DomainException.unavailable(
        "wallet sign-in needs a chain: set RT_CHAIN_RPC_URL"));
  }

  private String newNonce() {
    char[] nonce = new char[NONCE_CHARS];
    for (int i = 0; i < nonce.length; i++) {
      nonce[i] = NONCE_ALPHABET[random.nextInt(NONCE_ALPHABET.length)];
    }
    return new String(nonce);
  }

  private String unusablePassword() {
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    return hasher.hash(Base64.getEncoder().encodeToString(secret));
  }

  private static DomainException invalid(String detail) {
    return new DomainException(Reason.INVALID_CREDENTIALS, "wallet sign-in failed: " + detail);
  }
}
