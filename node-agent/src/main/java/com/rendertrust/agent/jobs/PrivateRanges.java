package com.rendertrust.agent.jobs;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * The address ranges a user-chosen input URL must not reach from a node: the node itself, its
 * private networks and cloud metadata services. The same ranges as the server's submission check
 * ({@code platform.net.PrivateAddresses}); the agent checks again because a name may resolve
 * differently on the node, and at a different time.
 */
final class PrivateRanges {

  private record Cidr(BigInteger network, int bits, int width, String name) {
    boolean contains(BigInteger address, int addressWidth) {
      return addressWidth == width && address.shiftRight(width - bits).equals(network.shiftRight(width - bits));
    }
  }

  private static final List<Cidr> REFUSED = List.of(
      cidr("0.0.0.0/8", "unspecified (this network)"), cidr("10.0.0.0/8", "private"),
      cidr("100.64.0.0/10", "carrier-grade NAT (shared)"), cidr("127.0.0.0/8", "loopback"),
      cidr("169.254.0.0/16", "link-local (cloud metadata)"), cidr("172.16.0.0/12", "private"),
      cidr("192.0.0.0/24", "IETF protocol assignments (cloud metadata)"), cidr("192.168.0.0/16", "private"),
      cidr("198.18.0.0/15", "benchmarking"), cidr("224.0.0.0/4", "multicast"),
      cidr("240.0.0.0/4", "reserved (broadcast)"), cidr("::/128", "unspecified"), cidr("::1/128", "loopback"),
      cidr("100::/64", "discard-only"), cidr("2001::/32", "Teredo tunnel"),
      cidr("fc00::/7", "unique-local (cloud metadata)"), cidr("fe80::/10", "link-local"),
      cidr("fec0::/10", "site-local"), cidr("ff00::/8", "multicast"));

  private static final BigInteger LOW_32 = BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE);
  private static final BigInteger MAPPED = BigInteger.valueOf(0xffff);
  private static final BigInteger NAT64 = new BigInteger("64ff9b", 16).shiftLeft(64);
  private static final BigInteger SIX_TO_FOUR = BigInteger.valueOf(0x2002);

  private PrivateRanges() {
  }

  /** The refused range {@code address} lies in, or empty for a public address. */
  static Optional<String> of(InetAddress address) {
    byte[] bytes = address.getAddress();
    BigInteger value = new BigInteger(1, bytes);
    Optional<String> direct = find(value, bytes.length * 8);
    if (direct.isPresent() || bytes.length == 4) {
      return direct;
    }
    // IPv6 forms that carry an IPv4 address are judged by it: ::ffff:a.b.c.d, ::a.b.c.d, NAT64, 6to4.
    BigInteger upper96 = value.shiftRight(32);
    if (upper96.equals(MAPPED) || upper96.signum() == 0 || upper96.equals(NAT64)) {
      return find(value.and(LOW_32), 32);
    }
    if (value.shiftRight(112).equals(SIX_TO_FOUR)) {
      return find(value.shiftRight(80).and(LOW_32), 32);
    }
    return Optional.empty();
  }

  private static Optional<String> find(BigInteger value, int width) {
    return REFUSED.stream().filter(cidr -> cidr.contains(value, width)).map(Cidr::name).findFirst();
  }

  private static Cidr cidr(String text, String name) {
    int slash = text.indexOf('/');
    try {
      byte[] bytes = InetAddress.getByName(text.substring(0, slash)).getAddress(); // literals: no lookup
      return new Cidr(new BigInteger(1, bytes), Integer.parseInt(text.substring(slash + 1)), bytes.length * 8, name);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
