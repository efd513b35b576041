package com.rendertrust.server.platform.auth;

import com.rendertrust.server.platform.net.CidrBlock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Decides which address a call comes from. The socket peer is the client unless it is one of
 * the configured trusted proxies; only then is {@code X-Forwarded-For} read, from the right,
 * skipping further trusted proxies, and the first address outside them is the client. What a
 * client writes into the header itself (the left part) is never believed.
 */
public final class ClientAddressResolver {

  private final List<Predicate<InetAddress>> trustedProxies;

  /** {@code trustedProxies}: IP addresses ("10.0.0.7") or CIDR blocks ("10.0.0.0/8", "fd00::/8"). */
  public ClientAddressResolver(List<String> trustedProxies) {
    List<Predicate<InetAddress>> predicates = new ArrayList<>();
    for (String entry : trustedProxies) {
      predicates.add(cidr(entry));
    }
    this.trustedProxies = List.copyOf(predicates);
  }

  /**
   * @param peer           the transport's remote address (may be an in-process address or null)
   * @param forwardedFor   every {@code X-Forwarded-For} header value, in order
   */
  public String resolve(SocketAddress peer, List<String> forwardedFor) {
    if (!(peer instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return peer == null ? "unknown" : "local";
    }
    InetAddress client = inet.getAddress();
    if (!isTrusted(client)) {
      return client.getHostAddress();
    }
    List<String> hops = new ArrayList<>();
    for (String value : forwardedFor) {
      for (String hop : value.split(",")) {
        hops.add(hop.strip());
      }
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      InetAddress hop = parseLiteral(hops.get(i));
      if (hop == null) {
        break; // an unreadable entry: stop at the last address a trusted party vouched for
      }
      client = hop;
      if (!isTrusted(hop)) {
        break;
      }
    }
    return client.getHostAddress();
  }

  private boolean isTrusted(InetAddress address) {
    for (Predicate<InetAddress> proxy : trustedProxies) {
      if (proxy.test(address)) {
        return true;
      }
    }
    return false;
  }

  private static Predicate<InetAddress> cidr(String entry) {
    try {
      return CidrBlock.parse(entry)::contains;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("RT_TRUSTED_PROXIES: " + e.getMessage(), e);
    }
  }

  private static InetAddress parseLiteral(String text) {
    return CidrBlock.parseLiteral(text).orElse(null);
  }
}
