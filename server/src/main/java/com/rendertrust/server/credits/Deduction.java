package com.rendertrust.server.credits;

import java.util.Optional;

/**
 * A client's request to deduct credits from its own account. {@code referenceId} makes it
 * idempotent: the same reference with the same amount returns the first entry. Clients must
 * send one (API.md), so that a retry never charges twice.
 */
public record Deduction(CreditAmount amount, Optional<String> referenceId, Optional<String> description) {

  public Deduction {
    if (!amount.isPositive()) {
      throw new IllegalArgumentException("a deduction moves a positive amount");
    }
  }

  /** From wire values: empty strings mean "absent"; each field is validated (422 on bad input, absent reference included). */
  public static Deduction of(String amount, String referenceId, String description) {
    CreditAmount parsed = CreditAmount.parsePositive("amount", amount);
    Optional<String> reference = TextFields.reference("reference_id", referenceId);
    if (reference.isEmpty()) {
      throw TextFields.invalid("reference_id", "reference_id is required: a retry with the same one never charges twice");
    }
    return new Deduction(parsed, reference, TextFields.description("description", description));
  }
}
