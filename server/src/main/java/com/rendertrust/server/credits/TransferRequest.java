package com.rendertrust.server.credits;

import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One money movement: {@code amount} from the debit account to the credit account. The
 * reference (if any) is idempotent per {@code referenceAccount}, {@code source} and {@code origin};
 * {@code referenceAccount} is one of the two accounts (the user's side) and its leg is posted
 * first, so row locks are always taken user account first, system accounts after.
 */
record TransferRequest(
    UUID debitAccount,
    UUID creditAccount,
    CreditAmount amount,
    EntrySource source,
    ReferenceOrigin origin,
    UUID referenceAccount,
    Optional<String> referenceId,
    Optional<String> description) {

  TransferRequest {
    Objects.requireNonNull(debitAccount);
    Objects.requireNonNull(creditAccount);
    if (!amount.isPositive()) {
      throw new IllegalArgumentException("a transfer moves a positive amount, got " + amount);
    }
    if (debitAccount.equals(creditAccount)) {
      throw new IllegalArgumentException("a transfer needs two different accounts");
    }
    if (!referenceAccount.equals(debitAccount) && !referenceAccount.equals(creditAccount)) {
      throw new IllegalArgumentException("the reference account must be one side of the transfer");
    }
  }
}
