package com.rendertrust.server.credits;

import java.util.List;

/** One page of an account's entries, newest first, and how many entries the account has in all. */
public record HistoryPage(List<LedgerEntry> entries, int total) {

  public HistoryPage {
    entries = List.copyOf(entries);
  }
}
