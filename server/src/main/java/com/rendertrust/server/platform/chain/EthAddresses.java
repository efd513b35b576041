package com.rendertrust.server.platform.chain;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.web3j.crypto.Keys;

/** Ethereum account addresses as the API takes and shows them. */
public final class EthAddresses {

  private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

  private EthAddresses() {
  }

  /**
   * The address in lower case (how it is stored) if {@code address} is one: 0x and 40 hex
   * digits, and, when it mixes cases, with a correct EIP-55 checksum.
   */
  public static Optional<String> normalise(String address) {
    if (address == null || !ADDRESS.matcher(address).matches()) {
      return Optional.empty();
    }
    String digits = address.substring(2);
    boolean mixed = !digits.equals(digits.toLowerCase(Locale.ROOT)) && !digits.equals(digits.toUpperCase(Locale.ROOT));
    if (mixed && !address.equals(Keys.toChecksumAddress(address))) {
      return Optional.empty();
    }
    return Optional.of("0x" + digits.toLowerCase(Locale.ROOT));
  }

  /** The EIP-55 (mixed-case checksum) form, how the API shows addresses. */
  public static String checksummed(String address) {
    return Keys.toChecksumAddress(address);
  }
}
