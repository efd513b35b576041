package com.rendertrust.server.tokens;

import com.rendertrust.server.auth.Identity;
import com.rendertrust.server.auth.PasswordHasher;
import com.rendertrust.server.auth.SiweService;
import com.rendertrust.server.auth.WalletGrpcService;
import com.rendertrust.server.ledger.anchor.Anchoring;
import com.rendertrust.server.ledger.anchor.ChainClient;
import com.rendertrust.server.platform.Closer;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.TokensConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.errors.DomainException;
import io.grpc.BindableService;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chain as money, wired: wallet sign-in (SIWE) and linking, the token contracts (deployed
 * to the dev chain by the treasury key), the deposit watcher and the deposit views. Built by the
 * composition root after the chain (anchoring) is up; without a chain, sign-in and deposits
 * answer 503.
 *
 * <p>Signing keys: anchoring signs with its key (anvil #0 in development); everything here that
 * sends a transaction (deploying the token contracts, payouts) signs with the treasury key
 * (RT_TREASURY_PRIVATE_KEY, anvil #1 in development) through one client, so each key has exactly
 * one nonce allocator.
 */
public final class ChainMoney implements AutoCloseable {

  private final Closer closer;
  /** anvil account #1 (public dev mnemonic): the treasury outside production. Never a secret. */
  public static final String DEV_TREASURY_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

  private static final Logger log = LoggerFactory.getLogger(ChainMoney.class);

  private final List<BindableService> services;
  private final Optional<DepositWatcher> depositWatcher;
  private final Optional<PayoutWorker> payoutWorker;

  private ChainMoney(Closer closer, List<BindableService> services, Optional<DepositWatcher> depositWatcher,
      Optional<PayoutWorker> payoutWorker) {
    this.closer = closer;
    this.services = services;
    this.depositWatcher = depositWatcher;
    this.payoutWorker = payoutWorker;
  }

  /** The payout worker, when a chain and a treasury key are configured (tests drive passes directly). */
  public Optional<PayoutWorker> payoutWorker() {
    return payoutWorker;
  }

  /** The deposit watcher, when a chain is configured (tests drive passes directly). */
  public Optional<DepositWatcher> depositWatcher() {
    return depositWatcher;
  }

  public static ChainMoney start(ServerConfig config, Database database, Identity identity,
      Optional<Anchoring> anchoring, CreditService credits, Supplier<URI> publicBaseUrl, Clock clock) {
    Closer closer = new Closer();
    try {
      Optional<ChainClient> chain = anchoring.map(Anchoring::chain);
      List<BindableService> services = new ArrayList<>();
      services.add(new WalletGrpcService(new SiweService(database, identity.sessions(), new PasswordHasher(),
          identity.rateLimiter(), config.auth().rateLimits(),
          new SiweService.Settings(publicBaseUrl, () -> chainId(chain)), clock)));
      TokensConfig tokens = config.tokens();
      boolean production = "production".equals(config.environment());
      Optional<DepositService> deposits = Optional.empty();
      Optional<DepositWatcher> watcher = Optional.empty();
      Optional<PayoutService> payouts = Optional.empty();
      Optional<PayoutWorker> payoutWorker = Optional.empty();
      if (anchoring.isPresent()) {
        String rpcUrl = anchoring.get().rpcUrl();
        Optional<String> treasuryKey = tokens.treasuryKey().or(() -> production ? Optional.empty()
            : Optional.of(DEV_TREASURY_KEY));
        // the treasury's one client: its nonces are allocated here only
        ChainClient treasury = closer.register(ChainClient.connect(rpcUrl,
            treasuryKey.orElse(DEV_TREASURY_KEY), config.chain().rpcTimeout()));
        TokenDeployment deployment = new TokenDeployment(treasury, database.dsl(),
            tokens.tokenAddress().map(token -> new TokenDeployment.Addresses(token, tokens.depositContract().orElseThrow())),
            !production && treasuryKey.isPresent());
        watcher = Optional.of(closer.register(new DepositWatcher(database.dataSource(), database.dsl(),
            anchoring.get().chain(), deployment, credits, tokens.creditsPerToken(), tokens.confirmations(),
            tokens.blockRange(), tokens.pollInterval()).start()));
        deposits = Optional.of(new DepositService(database.dsl(), anchoring.get().chain(), deployment,
            tokens.publicRpcUrl().orElse(rpcUrl), tokens.creditsPerToken(), tokens.confirmations()));
        payouts = Optional.of(new PayoutService(database.dsl(), credits, tokens.creditsPerToken()));
        if (treasuryKey.isPresent()) {
          payoutWorker = Optional.of(closer.register(new PayoutWorker(database.dataSource(), database.dsl(), treasury,
              deployment, credits, tokens.confirmations(), tokens.pollInterval()).start()));
        } else {
          log.warn("payouts are recorded but not sent: set RT_TREASURY_PRIVATE_KEY");
        }
        log.info("tokens: {}", tokens);
      }
      services.add(new DepositGrpcService(deposits));
      services.add(new PayoutGrpcService(payouts));
      return new ChainMoney(closer, List.copyOf(services), watcher, payoutWorker);
    } catch (RuntimeException e) {
      closer.close();
      throw e;
    }
  }

  private static OptionalLong chainId(Optional<ChainClient> chain) {
    if (chain.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(chain.get().chainId());
    } catch (RuntimeException e) {
      throw DomainException.unavailable("the chain does not answer");
    }
  }

  /** The services to serve (behind the common pipeline). */
  public List<BindableService> services() {
    return services;
  }

  @Override
  public void close() {
    closer.close();
  }
}
