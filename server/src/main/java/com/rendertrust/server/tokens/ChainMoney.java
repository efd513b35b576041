package com.rendertrust.server.tokens;

import com.rendertrust.server.auth.Identity;
import com.rendertrust.server.auth.PasswordHasher;
import com.rendertrust.server.auth.SiweService;
import com.rendertrust.server.auth.WalletGrpcService;
import com.rendertrust.server.ledger.anchor.Anchoring;
import com.rendertrust.server.ledger.anchor.ChainClient;
import com.rendertrust.server.platform.Closer;
import com.rendertrust.server.platform.config.ServerConfig;
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

/**
 * The chain as money, wired: wallet sign-in (SIWE) and linking. Built by the composition root
 * after the chain (anchoring) is up; without a chain, sign-in answers 503.
 */
public final class ChainMoney implements AutoCloseable {

  private final Closer closer;
  private final List<BindableService> services;

  private ChainMoney(Closer closer, List<BindableService> services) {
    this.closer = closer;
    this.services = services;
  }

  public static ChainMoney start(ServerConfig config, Database database, Identity identity,
      Optional<Anchoring> anchoring, Supplier<URI> publicBaseUrl, Clock clock) {
    Closer closer = new Closer();
    try {
      Optional<ChainClient> chain = anchoring.map(Anchoring::chain);
      List<BindableService> services = new ArrayList<>();
      services.add(new WalletGrpcService(new SiweService(database, identity.sessions(), new PasswordHasher(),
          identity.rateLimiter(), config.auth().rateLimits(),
          new SiweService.Settings(publicBaseUrl, () -> chainId(chain)), clock)));
      return new ChainMoney(closer, List.copyOf(services));
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
