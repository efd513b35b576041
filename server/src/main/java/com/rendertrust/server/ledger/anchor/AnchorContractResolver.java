package com.rendertrust.server.ledger.anchor;

import com.rendertrust.server.ledger.anchor.ChainClient.Broadcast;
import com.rendertrust.server.ledger.anchor.ChainClient.BroadcastOutcome;
import com.rendertrust.server.ledger.anchor.ChainClient.Receipt;
import com.rendertrust.server.ledger.anchor.ChainClient.SignedTransaction;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which contract new batches are anchored to: the configured RT_ANCHOR_CONTRACT, or
 * (development) the one this server deployed on this chain before, or a fresh deployment. A chain
 * is identified by chain id AND genesis hash, so a reset dev chain is not mistaken for the old one.
 */
public final class AnchorContractResolver {

  private static final Logger log = LoggerFactory.getLogger(AnchorContractResolver.class);
  private static final Duration DEPLOY_TIMEOUT = Duration.ofSeconds(60);

  private final ChainClient chain;
  private final AnchorRepository repository;
  private final AnchorContract contract;
  private final Optional<String> configured;
  private final Clock clock;
  private volatile String resolved;

  public AnchorContractResolver(ChainClient chain, AnchorRepository repository, AnchorContract contract,
      Optional<String> configured, Clock clock) {
    this.chain = chain;
    this.repository = repository;
    this.contract = contract;
    this.configured = configured.map(ChainAddresses::normalize);
    this.clock = clock;
  }

  /** The contract currently in use, if one has been found (and had code when last checked). */
  public Optional<String> current() {
    return Optional.ofNullable(resolved);
  }

  /**
   * The contract to use without deploying anything: the configured one, or the one this server
   * deployed on this very chain before; only if it has code. Any replica and readiness probes may
   * call this at any time: it never deploys and takes no lock (racing lookups agree).
   */
  public Optional<String> find() {
    String known = resolved;
    if (known != null) {
      if (chain.hasCode(known)) {
        return Optional.of(known);
      }
      log.error("anchor contract {} has no code on the chain any more (chain reset?)", known);
      resolved = null;
    }
    Optional<String> found;
    if (configured.isPresent()) {
      found = configured.filter(chain::hasCode);
      if (found.isEmpty()) {
        throw new IllegalStateException("RT_ANCHOR_CONTRACT " + configured.get() + " has no code on chain "
            + chain.chainId());
      }
    } else {
      found = repository.deployedContract(chain.chainId(), chain.genesisHash()).filter(chain::hasCode);
    }
    found.ifPresent(this::use);
    return found;
  }

  /**
   * The contract to anchor new batches to: {@link #find()}, else (nothing configured) a fresh
   * deployment. Only the anchoring worker calls this, under its lock, so replicas never race to
   * deploy.
   */
  public synchronized String resolve() {
    Optional<String> found = find();
    if (found.isPresent()) {
      return found.get();
    }
    String deployed = deploy(chain.chainId(), chain.genesisHash());
    use(deployed);
    return deployed;
  }

  private void use(String address) {
    if (!address.equals(resolved)) {
      log.info("anchoring to contract {} on chain {} as {}", address, chain.chainId(), chain.senderAddress());
    }
    resolved = address;
  }

  private String deploy(long chainId, String genesis) {
    SignedTransaction tx = chain.signDeployment(chain.nonce(true), chain.gasPrice(), contract.creationCode());
    Broadcast sent = chain.broadcast(tx.raw());
    if (sent.outcome() == BroadcastOutcome.REJECTED || sent.outcome() == BroadcastOutcome.NONCE_TOO_LOW) {
      throw new ChainRpcException("deploy anchor contract", sent.message());
    }
    long deadline = System.nanoTime() + DEPLOY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Receipt> receipt = chain.receipt(tx.hash());
      if (receipt.isPresent()) {
        if (!receipt.get().succeeded() || receipt.get().contractAddress().isEmpty()) {
          throw new ChainRpcException("deploy anchor contract", "deployment " + tx.hash() + " failed");
        }
        String address = ChainAddresses.normalize(receipt.get().contractAddress().get());
        repository.saveDeployedContract(chainId, genesis, address, tx.hash(), clock.instant());
        log.warn("deployed a new anchor contract at {} on chain {} (tx {}); outside development, set "
            + "RT_ANCHOR_CONTRACT={} so the choice never depends on this database", address, chainId, tx.hash(), address);
        return address;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while deploying the anchor contract", e);
      }
    }
    throw new ChainRpcException("deploy anchor contract", "deployment " + tx.hash() + " not mined within " + DEPLOY_TIMEOUT);
  }
}
