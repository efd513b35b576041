package com.rendertrust.server.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.auth.ClientAddressResolver;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** X-Forwarded-For is believed only as far as trusted proxies vouch for it. */
class ClientAddressResolverTest {

  private static InetSocketAddress peer(String ip) {
    return new InetSocketAddress(ip, 40_000);
  }

  @Test
  void withoutTrustedProxiesThePeerIsTheClient() {
    ClientAddressResolver resolver = new ClientAddressResolver(List.of());
    assertThat(resolver.resolve(peer("198.51.100.4"), List.of("203.0.113.9"))).isEqualTo("198.51.100.4");
  }

  @Test
  void aTrustedProxyNamesTheClientReadingFromTheRight() {
    ClientAddressResolver resolver = new ClientAddressResolver(List.of("10.0.0.0/8", "192.168.1.1"));
    assertThat(resolver.resolve(peer("10.1.2.3"), List.of("203.0.113.9"))).isEqualTo("203.0.113.9");
    assertThat(resolver.resolve(peer("10.1.2.3"), List.of("6.6.6.6, 203.0.113.9, 10.4.4.4")))
        .as("spoofed left part ignored, inner trusted hop skipped").isEqualTo("203.0.113.9");
    assertThat(resolver.resolve(peer("192.168.1.1"), List.of("6.6.6.6", "203.0.113.9"))).isEqualTo("203.0.113.9");
    assertThat(resolver.resolve(peer("10.1.2.3"), List.of())).as("no header: the proxy itself").isEqualTo("10.1.2.3");
    assertThat(resolver.resolve(peer("10.1.2.3"), List.of("not-an-ip"))).isEqualTo("10.1.2.3");
    assertThat(resolver.resolve(peer("10.1.2.3"), List.of("evil.example.com, 203.0.113.9"))).isEqualTo("203.0.113.9");
    assertThat(resolver.resolve(peer("192.168.1.2"), List.of("203.0.113.9"))).as("outside the list")
        .isEqualTo("192.168.1.2");
  }

  @Test
  void ipv6AndInProcessPeers() {
    ClientAddressResolver resolver = new ClientAddressResolver(List.of("fd00::/8"));
    assertThat(resolver.resolve(peer("fd00::1"), List.of("2001:db8::7"))).isEqualTo("2001:db8:0:0:0:0:0:7");
    assertThat(resolver.resolve(new io.grpc.inprocess.InProcessSocketAddress("x"), List.of("1.2.3.4"))).isEqualTo("local");
    assertThat(resolver.resolve(null, List.of())).isEqualTo("unknown");
  }

  @Test
  void badProxyEntriesFailAtStartup() {
    assertThatThrownBy(() -> new ClientAddressResolver(List.of("proxy.internal"))).hasMessageContaining("RT_TRUSTED_PROXIES");
    assertThatThrownBy(() -> new ClientAddressResolver(List.of("10.0.0.0/33"))).hasMessageContaining("RT_TRUSTED_PROXIES");
  }
}
