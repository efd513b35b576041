package com.rendertrust.server.platform.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * The address ranges a user-chosen URL must not reach: the machine itself, private networks and
 * cloud metadata services. IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64,
 * 6to4) are judged by that address, so {@code ::ffff:127.0.0.1} is loopback.
 */
public final class PrivateAddresses {

  private record Range(CidrBlock block, String name) {
  }

  private static final List<Range> RANGES = List.of(
      range("0.0.0.0", 8, "unspecified (this network)"),
      range("10.0.0.0", 8, "private"),
      range("100.64.0.0", 10, "carrier-grade NAT (shared)"),
      range("127.0.0.0", 8, "loopback"),
      range("169.254.0.0", 16, "link-local (cloud metadata)"),
      range("172.16.0.0", 12, "private"),
      range("192.0.0.0", 24, "IETF protocol assignments (cloud metadata)"),
      range("192.168.0.0", 16, "private"),
      range("198.18.0.0", 15, "benchmarking"),
      range("224.0.0.0", 4, "multicast"),
      range("240.0.0.0", 4, "reserved (broadcast)"),
      range("::", 128, "unspecified"),
      range("::1", 128, "loopback"),
      range("100::", 64, "discard-only"),
      range("2001::", 32, "Teredo tunnel"),
      range("fc00::", 7, "unique-local (cloud metadata)"),
      range("fe80::", 10, "link-local"),
      range("fec0::", 10, "site-local"),
      range("ff00::", 8, "multicast"));

  private PrivateAddresses() {
  }

  /** The name of the refused range {@code address} lies in, or empty for a public address. */
  public static Optional<String> rangeOf(InetAddress address) {
    byte[] bytes = address.getAddress();
    Optional<String> direct = rangeOfBytes(bytes);
    if (direct.isPresent() || !(address instanceof Inet6Address)) {
      return direct;
    }
    return embeddedIpv4(bytes).flatMap(PrivateAddresses::rangeOfBytes);
  }

  private static Optional<String> rangeOfBytes(byte[] bytes) {
    return RANGES.stream().filter(range -> range.block().contains(bytes)).map(Range::name).findFirst();
  }

  /**
   * The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), NAT64
   * (64:ff9b::/96) or 6to4 (2002::/16) IPv6 address.
   */
  private static Optional<byte[]> embeddedIpv4(byte[] v6) {
    boolean zeroPrefix = allZero(v6, 0, 10);
    boolean mapped = (v6[10] & 0xff) == 0xff && (v6[11] & 0xff) == 0xff;
    boolean compatible = v6[10] == 0 && v6[11] == 0;
    if (zeroPrefix && (mapped || compatible)) {
      return Optional.of(slice(v6, 12));
    }
    if (v6[0] == 0 && v6[1] == 0x64 && (v6[2] & 0xff) == 0xff && (v6[3] & 0xff) == 0x9b && allZero(v6, 4, 12)) {
      return Optional.of(slice(v6, 12));
    }
    if (v6[0] == 0x20 && v6[1] == 0x02) {
      return Optional.of(slice(v6, 2));
    }
    return Optional.empty();
  }

  private static boolean allZero(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] slice(byte[] bytes, int from) {
    byte[] v4 = new byte[4];
    System.arraycopy(bytes, from, v4, 0, 4);
    return v4;
  }

  private static Range range(String literal, int bits, String name) {
    return new Range(CidrBlock.parse(literal + "/" + bits), name);
  }
}
