package com.rendertrust.sdk;

import java.math.BigDecimal;
import java.time.Instant;

/** One movement on the caller's credit account, as shown in the history. */
public record LedgerEntry(String id, BigDecimal amount, String direction, String source, String referenceId,
    BigDecimal balanceAfter, String description, Instant createdAt) {
}
