package com.rendertrust.server.credits;

import java.util.Optional;

/**
 * A client's request to deduct credits from its own account. {@code referenceId} makes it
 * idempotent: the same reference with the same amount returns the first entry.
 */
public record Deduction(CreditAmount amount, Optional<String> referenceId, Optional<String> description) {

  public Deduction {
    if (!amount.isPositive()) {
      throw new IllegalArgumentException("a deduction moves a positive amount");
    }
  }

  /** From wire values: empty strings mean "absent"; each field is validated (422 on bad input). */
  public static Deduction of(String amount, String referenceId, String description) {
    return new Deduction(
        CreditAmount.parsePositive("amount", amount),
        TextFields.reference("reference_id", referenceId),
        TextFields.description("description", description));
  }
}
