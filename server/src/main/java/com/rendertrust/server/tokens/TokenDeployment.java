package com.rendertrust.server.tokens;

import static com.rendertrust.server.db.Tables.TOKEN_CONTRACTS;

import com.rendertrust.server.ledger.anchor.ChainClient;
import com.rendertrust.server.ledger.anchor.ChainIdentity;
import com.rendertrust.server.ledger.anchor.ChainRpcException;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the token and the deposit contract are: configured (RT_TOKEN_ADDRESS,
 * RT_DEPOSIT_CONTRACT), or, outside production, deployed by the treasury key to the chain the
 * server runs on and recorded per chain (chain id and genesis hash) in {@code token_contracts},
 * so a restart reuses them and a reset chain gets new ones. The test token is minted to every
 * account of the dev chain ({@code eth_accounts}: anvil's ten defaults).
 */
final class TokenDeployment {

  /** The two addresses, lower case. */
  record Addresses(String token, String depositContract) {
  }

  /** What each dev account gets: one million RTK. */
  static final BigInteger DEV_MINT_EACH = TokenContracts.ONE_TOKEN.multiply(BigInteger.valueOf(1_000_000));
  private static final BigInteger TOKEN_DEPLOY_GAS = BigInteger.valueOf(2_000_000);
  private static final BigInteger DEPOSITS_DEPLOY_GAS = BigInteger.valueOf(800_000);
  private static final Duration RECEIPT_WAIT = Duration.ofSeconds(60);
  private static final Logger log = LoggerFactory.getLogger(TokenDeployment.class);

  private final ChainClient treasury;
  private final DSLContext dsl;
  private final Optional<Addresses> configured;
  private final boolean mayDeploy;
  private volatile Addresses resolved;

  TokenDeployment(ChainClient treasury, DSLContext dsl, Optional<Addresses> configured, boolean mayDeploy) {
    this.treasury = treasury;
    this.dsl = dsl;
    this.configured = configured.map(a -> new Addresses(lower(a.token()), lower(a.depositContract())));
    this.mayDeploy = mayDeploy;
  }

  /** The addresses if known yet (configured, or resolved by a worker pass). */
  Optional<Addresses> current() {
    return Optional.ofNullable(resolved).or(() -> configured);
  }

  /** The addresses, deploying the contracts first if this is a dev chain without them (blocks until mined). */
  synchronized Addresses resolve() {
    if (configured.isPresent()) {
      return configured.get();
    }
    ChainIdentity chain = treasury.identity();
    Addresses known = resolved;
    if (known != null && treasury.hasCode(known.depositContract())) {
      return known;
    }
    Optional<Addresses> stored = dsl.selectFrom(TOKEN_CONTRACTS)
        .where(TOKEN_CONTRACTS.CHAIN_ID.eq(chain.chainId()), TOKEN_CONTRACTS.GENESIS_HASH.eq(chain.genesisHash()))
        .fetchOptional()
        .map(row -> new Addresses(row.getTokenAddress(), row.getDepositContract()))
        .filter(addresses -> treasury.hasCode(addresses.token()) && treasury.hasCode(addresses.depositContract()));
    if (stored.isPresent()) {
      resolved = stored.get();
      return resolved;
    }
    if (!mayDeploy) {
      throw new IllegalStateException("no token contracts: set RT_TOKEN_ADDRESS and RT_DEPOSIT_CONTRACT");
    }
    Addresses deployed = deploy();
    dsl.insertInto(TOKEN_CONTRACTS)
        .set(TOKEN_CONTRACTS.CHAIN_ID, chain.chainId())
        .set(TOKEN_CONTRACTS.GENESIS_HASH, chain.genesisHash())
        .set(TOKEN_CONTRACTS.TOKEN_ADDRESS, deployed.token())
        .set(TOKEN_CONTRACTS.DEPOSIT_CONTRACT, deployed.depositContract())
        .onConflict(TOKEN_CONTRACTS.CHAIN_ID, TOKEN_CONTRACTS.GENESIS_HASH)
        .doUpdate()
        .set(TOKEN_CONTRACTS.TOKEN_ADDRESS, deployed.token())
        .set(TOKEN_CONTRACTS.DEPOSIT_CONTRACT, deployed.depositContract())
        .execute();
    log.info("deployed the test token RTK at {} and the deposit contract at {} (treasury {})", deployed.token(),
        deployed.depositContract(), treasury.senderAddress());
    resolved = deployed;
    return deployed;
  }

  private Addresses deploy() {
    long nonce = treasury.nonce(true);
    BigInteger gasPrice = treasury.gasPrice();
    ChainClient.SignedTransaction token = treasury.signCreation(nonce, gasPrice, TOKEN_DEPLOY_GAS,
        TokenContracts.tokenCreation(treasury.accounts(), DEV_MINT_EACH));
    sendAndCheck(token);
    String tokenAddress = lower(awaitContract(token.hash()));
    ChainClient.SignedTransaction deposits = treasury.signCreation(nonce + 1, gasPrice, DEPOSITS_DEPLOY_GAS,
        TokenContracts.depositsCreation(tokenAddress, treasury.senderAddress()));
    sendAndCheck(deposits);
    return new Addresses(tokenAddress, lower(awaitContract(deposits.hash())));
  }

  private void sendAndCheck(ChainClient.SignedTransaction transaction) {
    ChainClient.Broadcast broadcast = treasury.broadcast(transaction.raw());
    if (broadcast.outcome() == ChainClient.BroadcastOutcome.REJECTED
        || broadcast.outcome() == ChainClient.BroadcastOutcome.NONCE_TOO_LOW) {
      throw new ChainRpcException("deploy token contracts", broadcast.message());
    }
  }

  private String awaitContract(String txHash) {
    Instant deadline = Instant.now().plus(RECEIPT_WAIT);
    while (Instant.now().isBefore(deadline)) {
      Optional<ChainClient.Receipt> receipt = treasury.receipt(txHash);
      if (receipt.isPresent()) {
        if (!receipt.get().succeeded() || receipt.get().contractAddress().isEmpty()) {
          throw new ChainRpcException("deploy token contracts", "deployment " + txHash + " reverted");
        }
        return receipt.get().contractAddress().get();
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while deploying", e);
      }
    }
    throw new ChainRpcException("deploy token contracts", "deployment " + txHash + " not mined within " + RECEIPT_WAIT);
  }

  private static String lower(String address) {
    return address.toLowerCase(Locale.ROOT);
  }
}
