package com.rendertrust.server.platform.net;

import java.net.InetAddress;
import java.util.Optional;

/** An IPv4 or IPv6 address block ("10.0.0.0/8", "fd00::/8"; a lone address is a block of one). */
public final class CidrBlock {

  private final byte[] network;
  private final int bits;

  private CidrBlock(byte[] network, int bits) {
    this.network = network;
    this.bits = bits;
  }

  /** Parses a block; IllegalArgumentException naming the entry when it is none. */
  public static CidrBlock parse(String entry) {
    String trimmed = entry.strip();
    int slash = trimmed.indexOf('/');
    InetAddress base = parseLiteral(slash < 0 ? trimmed : trimmed.substring(0, slash))
        .orElseThrow(() -> new IllegalArgumentException("not an IP address or CIDR block: " + entry));
    int maxBits = base.getAddress().length * 8;
    int bits;
    try {
      bits = slash < 0 ? maxBits : Integer.parseInt(trimmed.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad prefix length in " + entry);
    }
    if (bits < 0 || bits > maxBits) {
      throw new IllegalArgumentException("bad prefix length in " + entry);
    }
    return new CidrBlock(base.getAddress(), bits);
  }

  public boolean contains(InetAddress address) {
    return contains(address.getAddress());
  }

  /** Whether the raw address bytes (4 or 16 of them) lie in this block; never across families. */
  public boolean contains(byte[] candidate) {
    if (candidate.length != network.length) {
      return false;
    }
    int full = bits / 8;
    for (int i = 0; i < full; i++) {
      if (candidate[i] != network[i]) {
        return false;
      }
    }
    int rest = bits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xFF << (8 - rest)) & 0xFF;
    return (candidate[full] & mask) == (network[full] & mask);
  }

  /**
   * Parses an IP literal ("203.0.113.7", "2001:db8::1", "[::1]") without ever resolving a host
   * name: no DNS lookups on request data. Empty when the text is no literal.
   */
  public static Optional<InetAddress> parseLiteral(String text) {
    String value = text.strip();
    if (value.startsWith("[") && value.endsWith("]")) {
      value = value.substring(1, value.length() - 1);
    }
    if (value.isEmpty() || value.length() > 45 || !value.matches("[0-9A-Fa-f:.]+")) {
      return Optional.empty();
    }
    if (value.indexOf(':') < 0 && !value.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return Optional.empty();
    }
    try {
      // Only literals reach this point (checked above), so getByName never asks DNS.
      return Optional.of(InetAddress.getByName(value));
    } catch (java.net.UnknownHostException e) {
      return Optional.empty();
    }
  }
}
