package com.rendertrust.server.tokens;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.ledger.anchor.ChainClient;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;

/** What a user sees of deposits: where to deposit (with their reference) and their deposits. */
public final class DepositService {

  static final int DEFAULT_PAGE_SIZE = 50;
  static final int MAX_PAGE_SIZE = 200;

  /** The answer of deposit-info. */
  public record DepositInfo(long chainId, String rpcUrl, String tokenAddress, String depositContract,
      BigDecimal creditsPerToken, int confirmations, String reference) {
  }

  /** A deposit as its owner sees it. */
  public record DepositView(String txHash, long logIndex, String tokenAmount, CreditAmount credits, String status,
      long blockNumber, long confirmations) {
  }

  public record DepositPage(List<DepositView> deposits, int count) {
  }

  private final DSLContext dsl;
  private final ChainClient chain;
  private final TokenDeployment deployment;
  private final String publicRpcUrl;
  private final BigDecimal creditsPerToken;
  private final int confirmations;
  private final DepositRepository deposits = new DepositRepository();

  DepositService(DSLContext dsl, ChainClient chain, TokenDeployment deployment, String publicRpcUrl,
      BigDecimal creditsPerToken, int confirmations) {
    this.dsl = dsl;
    this.chain = chain;
    this.deployment = deployment;
    this.publicRpcUrl = publicRpcUrl;
    this.creditsPerToken = creditsPerToken;
    this.confirmations = confirmations;
  }

  /** 503 until the contracts are known (in development: deployed by the first watcher pass). */
  public DepositInfo info(UUID userId) {
    TokenDeployment.Addresses addresses = deployment.current()
        .orElseThrow(() -> DomainException.unavailable("the token contracts are not deployed yet; try again shortly"));
    long chainId;
    try {
      chainId = chain.chainId();
    } catch (RuntimeException e) {
      throw DomainException.unavailable("the chain does not answer");
    }
    return new DepositInfo(chainId, publicRpcUrl, addresses.token(), addresses.depositContract(), creditsPerToken,
        confirmations, deposits.referenceOf(dsl, userId));
  }

  public DepositPage list(UUID userId, int limit, int offset) {
    if (limit < 0 || limit > MAX_PAGE_SIZE) {
      throw new DomainException(Reason.VALIDATION_FAILED, "limit must be between 1 and " + MAX_PAGE_SIZE,
          Map.of("field", "limit"));
    }
    if (offset < 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, "offset must not be negative", Map.of("field", "offset"));
    }
    long head;
    try {
      head = chain.blockNumber();
    } catch (RuntimeException e) {
      head = -1;
    }
    long known = head;
    List<DepositView> page = deposits.listOf(dsl, userId, limit == 0 ? DEFAULT_PAGE_SIZE : limit, offset).stream()
        .map(d -> new DepositView(d.txHash(), d.logIndex(), DepositWatcher.tokens(d.tokenAmount()),
            new CreditAmount(d.creditUnits().orElseGet(() -> worth(d))), d.status(), d.blockNumber(),
            known < d.blockNumber() ? 0 : known - d.blockNumber() + 1))
        .toList();
    return new DepositPage(page, deposits.countOf(dsl, userId));
  }

  private long worth(DepositRepository.Deposit deposit) {
    return new BigDecimal(deposit.tokenAmount()).multiply(creditsPerToken).movePointRight(CreditAmount.SCALE)
        .movePointLeft(18).setScale(0, java.math.RoundingMode.DOWN).longValueExact();
  }
}
