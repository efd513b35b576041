package com.rendertrust.server.ledger.anchor;

import com.rendertrust.server.platform.Closer;
import com.rendertrust.server.platform.chain.AnvilProcess;
import com.rendertrust.server.platform.config.ChainConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.process.PidFile;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The anchoring feature, wired: the chain (the configured RPC endpoint, or an anvil this server
 * starts itself in development), the chain client, the contract resolver and the worker. Built
 * by the composition root only when {@link ChainConfig#enabled()}.
 */
public final class Anchoring implements AutoCloseable {

  private final Closer closer;
  private final ChainClient chain;
  private final AnchorContractResolver contracts;
  private final AnchoringWorker worker;
  private final String rpcUrl;

  private Anchoring(Closer closer, ChainClient chain, AnchorContractResolver contracts, AnchoringWorker worker,
      String rpcUrl) {
    this.closer = closer;
    this.rpcUrl = rpcUrl;
    this.chain = chain;
    this.contracts = contracts;
    this.worker = worker;
  }

  /**
   * Starts anchoring; the worker's first pass runs at once (and deploys the contract if that is
   * its job). An unreachable chain does not fail the start: the worker keeps retrying and
   * readiness reports {@code chain} as unavailable until it answers. An anvil the server starts
   * itself is noted in {@code anvilPidFile} and started again if it dies.
   */
  public static Anchoring start(ChainConfig config, Database database, Path dataDir, PidFile anvilPidFile,
      Clock clock) {
    Closer closer = new Closer();
    try {
      String rpcUrl = config.rpcUrl().orElseGet(() -> closer.register(AnvilProcess.start(
          config.embeddedAnvil().orElseThrow(),
          // A block a second, so confirmations accrue; the chain persists next to the dev database.
          new AnvilProcess.Options(1, java.util.Optional.of(dataDir.resolve("anvil").resolve("state.json"))),
          anvilPidFile, true))
          .rpcUrl());
      ChainClient chain = closer.register(ChainClient.connect(rpcUrl,
          config.privateKey().orElse(AnvilProcess.DEV_PRIVATE_KEY), config.rpcTimeout()));
      AnchorRepository repository = new AnchorRepository(database.dsl());
      AnchorContractResolver contracts = new AnchorContractResolver(chain, repository, AnchorContract.load(),
          config.contractAddress(), clock);
      AnchorStateMachine machine = new AnchorStateMachine(repository, chain, contracts, config.confirmations(),
          config.resubmitAfter(), clock);
      AnchoringWorker worker = closer.register(new AnchoringWorker(database.dataSource(), machine,
          config.pollInterval()).start());
      return new Anchoring(closer, chain, contracts, worker, rpcUrl);
    } catch (RuntimeException e) {
      closer.close();
      throw e;
    }
  }

  /**
   * Readiness: the chain answers and the anchor contract is known and has code there. Until the
   * first anchoring pass has deployed one (development), this is false.
   */
  public boolean chainReady() {
    try {
      return contracts.find().isPresent();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The chain's JSON-RPC endpoint (the configured one, or the embedded anvil's), for other signing keys' clients. */
  public String rpcUrl() {
    return rpcUrl;
  }

  public ChainClient chain() {
    return chain;
  }

  public AnchoringWorker worker() {
    return worker;
  }

  public AnchorContractResolver contracts() {
    return contracts;
  }

  @Override
  public void close() {
    closer.close();
  }
}
