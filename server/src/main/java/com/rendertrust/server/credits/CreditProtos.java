package com.rendertrust.server.credits;

import java.time.format.DateTimeFormatter;

/** Domain credit values to their wire form (shared by the credit and ledger adapters). */
public final class CreditProtos {

  private CreditProtos() {
  }

  /** The user-side entry as the contract shows it: 4-decimal strings, RFC 3339 UTC time. */
  public static com.rendertrust.api.v1.LedgerEntry entry(LedgerEntry entry) {
    com.rendertrust.api.v1.LedgerEntry.Builder proto = com.rendertrust.api.v1.LedgerEntry.newBuilder()
        .setId(entry.id().toString())
        .setAmount(entry.amount().toWire())
        .setDirection(entry.direction().name())
        .setSource(entry.source().name())
        .setBalanceAfter(entry.balanceAfter().toWire())
        .setCreatedAt(DateTimeFormatter.ISO_INSTANT.format(entry.createdAt()));
    entry.referenceId().ifPresent(proto::setReferenceId);
    entry.description().ifPresent(proto::setDescription);
    return proto.build();
  }
}
