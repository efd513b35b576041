package com.rendertrust.server.auth;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.web3j.crypto.Keys;

/**
 * An EIP-4361 ("Sign-In with Ethereum") message in the one shape this server issues: domain,
 * EIP-55 address, a fixed statement, URI, version 1, chain id, nonce, issue and expiry times
 * (RFC 3339 UTC, whole seconds). {@link #text()} is exactly what the wallet signs;
 * {@link #parse} accepts only that shape.
 */
record SiweMessage(String domain, String address, String uri, long chainId, String nonce, Instant issuedAt,
    Instant expiresAt) {

  static final String STATEMENT = "Sign in to RenderTrust.";

  private static final Pattern SHAPE = Pattern.compile(
      "(?<domain>[^\\s/]+) wants you to sign in with your Ethereum account:\n"
          + "(?<address>0x[0-9a-fA-F]{40})\n"
          + "\n"
          + Pattern.quote(STATEMENT) + "\n"
          + "\n"
          + "URI: (?<uri>\\S+)\n"
          + "Version: 1\n"
          + "Chain ID: (?<chain>[1-9][0-9]{0,18})\n"
          + "Nonce: (?<nonce>[0-9A-Za-z]{8,32})\n"
          + "Issued At: (?<issued>\\S+)\n"
          + "Expiration Time: (?<expires>\\S+)");

  String text() {
    return domain + " wants you to sign in with your Ethereum account:\n"
        + address + "\n"
        + "\n"
        + STATEMENT + "\n"
        + "\n"
        + "URI: " + uri + "\n"
        + "Version: 1\n"
        + "Chain ID: " + chainId + "\n"
        + "Nonce: " + nonce + "\n"
        + "Issued At: " + rfc3339(issuedAt) + "\n"
        + "Expiration Time: " + rfc3339(expiresAt);
  }

  /** The message if {@code text} has exactly the issued shape (and a valid checksummed address). */
  static Optional<SiweMessage> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    Matcher m = SHAPE.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    String address = m.group("address");
    if (!address.equals(Keys.toChecksumAddress(address))) {
      return Optional.empty(); // EIP-4361 requires the EIP-55 form
    }
    try {
      return Optional.of(new SiweMessage(m.group("domain"), address, m.group("uri"),
          Long.parseLong(m.group("chain")), m.group("nonce"), Instant.parse(m.group("issued")),
          Instant.parse(m.group("expires"))));
    } catch (DateTimeParseException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  static String rfc3339(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }
}
