package com.rendertrust.server.tokens;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.platform.chain.EthAddresses;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Operators ask for payouts here. Asking moves the amount out of the operator's earnings (to
 * PAYOUTS_CLEARING) in the same commit that records the payout; {@link PayoutWorker} then sends
 * it. Idempotent on (operator, reference_id).
 */
public final class PayoutService {

  private static final int MAX_REFERENCE_CHARS = 255;

  /** A page of payouts. */
  record PayoutPage(List<PayoutRepository.Payout> payouts, int count) {
  }

  private final DSLContext dsl;
  private final CreditService credits;
  private final BigDecimal creditsPerToken;
  private final PayoutRepository payouts = new PayoutRepository();

  PayoutService(DSLContext dsl, CreditService credits, BigDecimal creditsPerToken) {
    this.dsl = dsl;
    this.credits = credits;
    this.creditsPerToken = creditsPerToken;
  }

  /** 402 when the earnings are short, 409 for a reference reused differently, 422 for bad fields. */
  PayoutRepository.Payout create(UUID operatorId, String amountText, String walletAddress, String referenceId) {
    CreditAmount amount = CreditAmount.parsePositive("amount", amountText);
    String wallet = EthAddresses.normalise(walletAddress).orElseThrow(() -> new DomainException(
        Reason.VALIDATION_FAILED, "wallet_address must be 0x and 40 hex digits (a mixed-case one with a valid "
        + "EIP-55 checksum)", Map.of("field", "wallet_address")));
    if (wallet.equals("0x" + "0".repeat(40))) {
      throw new DomainException(Reason.VALIDATION_FAILED, "wallet_address must not be the zero address",
          Map.of("field", "wallet_address"));
    }
    if (referenceId == null || referenceId.isBlank() || referenceId.length() > MAX_REFERENCE_CHARS) {
      throw new DomainException(Reason.VALIDATION_FAILED, "reference_id must be 1 to 255 characters",
          Map.of("field", "reference_id"));
    }
    BigInteger tokenAmount = tokenUnits(amount);
    if (tokenAmount.signum() <= 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, "amount is worth less than one token unit",
          Map.of("field", "amount"));
    }
    return dsl.transactionResult(cfg -> {
      DSLContext tx = cfg.dsl();
      payouts.lockReference(tx, operatorId, referenceId);
      var earlier = payouts.findByReference(tx, operatorId, referenceId);
      if (earlier.isPresent()) {
        if (earlier.get().amountUnits() != amount.units() || !earlier.get().wallet().equals(wallet)) {
          throw new DomainException(Reason.IDEMPOTENCY_CONFLICT,
              "reference_id was already used with a different amount or wallet");
        }
        return earlier.get();
      }
      UUID id = UUID.randomUUID();
      payouts.insert(tx, id, operatorId, referenceId, amount.units(), tokenAmount, wallet);
      credits.reservePayout(tx, operatorId, amount, id);
      return payouts.find(tx, id).orElseThrow();
    });
  }

  PayoutPage list(UUID operatorId, int limit, int offset) {
    if (limit < 0 || limit > DepositService.MAX_PAGE_SIZE) {
      throw new DomainException(Reason.VALIDATION_FAILED, "limit must be between 1 and "
          + DepositService.MAX_PAGE_SIZE, Map.of("field", "limit"));
    }
    if (offset < 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, "offset must not be negative", Map.of("field", "offset"));
    }
    return new PayoutPage(payouts.listOf(dsl, operatorId, limit == 0 ? DepositService.DEFAULT_PAGE_SIZE : limit,
        offset), payouts.countOf(dsl, operatorId));
  }

  /** Token base units (10^18 a token) for {@code amount} credits, rounded down. */
  BigInteger tokenUnits(CreditAmount amount) {
    return new BigDecimal(amount.units()).movePointLeft(CreditAmount.SCALE).movePointRight(18)
        .divide(creditsPerToken, 0, RoundingMode.DOWN).toBigIntegerExact();
  }
}
