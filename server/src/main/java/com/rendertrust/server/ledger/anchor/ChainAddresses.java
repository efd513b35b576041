package com.rendertrust.server.ledger.anchor;

import java.util.Locale;

/** Addresses and hashes are stored and compared in one spelling: 0x-prefixed lowercase hex. */
final class ChainAddresses {

  private ChainAddresses() {
  }

  static String normalize(String hex) {
    String lower = hex.toLowerCase(Locale.ROOT);
    return lower.startsWith("0x") ? lower : "0x" + lower;
  }
}
