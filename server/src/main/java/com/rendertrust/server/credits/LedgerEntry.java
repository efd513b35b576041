package com.rendertrust.server.credits;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One movement on one account as its owner sees it: the account's leg of a transfer.
 * {@code amount} is positive; {@code direction} says which way it went.
 */
public record LedgerEntry(
    UUID id,
    long sequence,
    CreditAmount amount,
    Direction direction,
    EntrySource source,
    Optional<String> referenceId,
    CreditAmount balanceAfter,
    Optional<String> description,
    Instant createdAt) {
}
