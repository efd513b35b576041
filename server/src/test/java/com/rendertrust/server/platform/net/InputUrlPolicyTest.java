package com.rendertrust.server.platform.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which payload_ref URLs a node may be sent to fetch: the table of issue 21, finding 2. */
class InputUrlPolicyTest {

  /** DNS as the test needs it: names an attacker controls can point anywhere. */
  private static final Map<String, List<String>> DNS = Map.of(
      "public.example", List.of("93.184.216.34"),
      "rebind.example", List.of("127.0.0.1"),
      "intranet.example", List.of("10.1.2.3"),
      "mixed.example", List.of("93.184.216.34", "192.168.1.20"),
      "v6-loopback.example", List.of("::1"),
      "v6-public.example", List.of("2606:2800:220:1:248:1893:25c8:1946"));

  private static InetAddress[] resolve(String host) throws UnknownHostException {
    List<String> addresses = DNS.get(host);
    if (addresses == null) {
      throw new UnknownHostException(host);
    }
    InetAddress[] resolved = new InetAddress[addresses.size()];
    for (int i = 0; i < resolved.length; i++) {
      resolved[i] = InetAddress.getByName(addresses.get(i)); // literals: no lookup
    }
    return resolved;
  }

  private final InputUrlPolicy refusing = new InputUrlPolicy(false, InputUrlPolicyTest::resolve);
  private final InputUrlPolicy allowing = new InputUrlPolicy(true, InputUrlPolicyTest::resolve);

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      http://127.0.0.1:8081/status                 | loopback
      http://127.0.0.1./status                     | no valid host
      http://127.1/                                | no valid host
      http://2130706433/                           | non-standard form
      http://0x7f000001/                           | non-standard form
      http://0x7f.1/                               | no valid host
      http://0177.0.0.1/                           | non-standard form
      http://017700000001/                         | non-standard form
      http://169.254.169.254/latest/meta-data/     | link-local
      HTTP://169.254.169.254/                      | link-local
      https://10.0.0.5/scene.blend                 | private
      http://172.16.0.1/                           | private
      http://172.31.255.255/                       | private
      http://192.168.1.1/                          | private
      http://100.64.0.1/                           | carrier-grade NAT
      http://100.100.100.200/latest/meta-data/     | carrier-grade NAT
      http://192.0.0.192/                          | IETF protocol assignments
      http://0.0.0.0/                              | unspecified
      http://224.0.0.1/                            | multicast
      http://255.255.255.255/                      | reserved
      http://[::1]/                                | loopback
      http://[::]/                                 | unspecified
      http://[::ffff:127.0.0.1]/                   | loopback
      http://[::ffff:7f00:1]/                      | loopback
      http://[::ffff:a9fe:a9fe]/                   | link-local
      http://[::127.0.0.1]/                        | loopback
      http://[64:ff9b::a00:1]/                     | private
      http://[2002:7f00:1::]/                      | loopback
      http://[fe80::1%25eth0]/                     | link-local
      http://[fd00:ec2::254]/                      | unique-local
      http://[fc00::1]/                            | unique-local
      http://[ff02::1]/                            | multicast
      http://localhost:8081/status                 | loopback
      http://LOCALHOST./                           | loopback
      http://localhost../                          | no valid host
      http://api.localhost/                        | loopback
      http://metadata.google.internal/             | cloud metadata
      http://rebind.example/x                      | loopback
      http://rebind.example.:9000/x                | loopback
      http://intranet.example/                     | private
      http://mixed.example/                        | private
      http://v6-loopback.example/                  | loopback
      http://user@93.184.216.34/                   | user info
      http://evil.example@127.0.0.1/               | user info
      http://public.example:80@127.0.0.1/          | user info
      http://foo_bar.example/                      | no valid host
      http:/127.0.0.1/                             | with a host
      http:127.0.0.1                               | with a host
      https://                                     | not a valid URL
      '  http://127.0.0.1/'                        | loopback
      http://127.0.0.1#@public.example             | loopback
      http://127.0.0.1:80\\@public.example/        | not a valid URL
      """)
  void refused(String url, String why) {
    DomainException refusal = catchThrowableOfType(DomainException.class, () -> refusing.check("payload_ref", url));
    assertThat(refusal).as(url).isNotNull();
    assertThat(refusal.reason()).isEqualTo(Reason.VALIDATION_FAILED);
    assertThat(refusal.reason().httpStatus()).isEqualTo(422);
    assertThat(refusal.metadata()).containsEntry("field", "payload_ref");
    assertThat(refusal.detail()).startsWith("payload_ref").contains(why);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      https://93.184.216.34/scene.blend
      http://8.8.8.8:8080/a?b=c#d
      https://public.example/scene.blend?X-Amz-Signature=abc
      https://public.example./scene.blend
      https://v6-public.example/x
      http://[2606:2800:220:1:248:1893:25c8:1946]/x
      https://not-resolvable-here.example/scene.blend
      s3://scenes/castle.blend
      ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi
      file:///etc/passwd
      gopher://127.0.0.1:6379/_INFO
      castle.blend
      """)
  void accepted(String reference) {
    assertThatCode(() -> refusing.check("payload_ref", reference)).as(reference).doesNotThrowAnyException();
  }

  @Test
  void onlyHttpAndHttpsAreUrlsTheNodeFetches() {
    assertThat(InputUrlPolicy.isUrl("HTTPS://example.com/x")).isTrue();
    assertThat(InputUrlPolicy.isUrl(" http://example.com/x")).isTrue();
    assertThat(InputUrlPolicy.isUrl("http:relative")).isTrue();
    assertThat(InputUrlPolicy.isUrl("s3://bucket/key")).isFalse();
    assertThat(InputUrlPolicy.isUrl("file:///etc/passwd")).isFalse();
    assertThat(InputUrlPolicy.isUrl("scene.blend")).isFalse();
  }

  @Test
  void allowingPrivateAddressesLiftsTheRangeChecksButNotTheSyntaxChecks() {
    for (String url : List.of("http://127.0.0.1:8081/x", "http://localhost:9000/x", "http://rebind.example/x",
        "http://[::1]/x", "http://169.254.169.254/")) {
      assertThatCode(() -> allowing.check("payload_ref", url)).as(url).doesNotThrowAnyException();
    }
    for (String url : List.of("http://0x7f000001/", "http://user@127.0.0.1/", "http:/x")) {
      assertThat(catchThrowableOfType(DomainException.class, () -> allowing.check("payload_ref", url))).as(url)
          .isNotNull();
    }
  }

  @Test
  void theSystemResolverIsUsedByDefault() {
    // localhost resolves through /etc/hosts everywhere; refused by name before any lookup, too.
    InputUrlPolicy production = new InputUrlPolicy(false);
    assertThat(catchThrowableOfType(DomainException.class,
        () -> production.check("payload_ref", "http://localhost:8081/status")).detail()).contains("loopback");
    assertThatCode(() -> production.check("payload_ref", "https://93.184.216.34/x")).doesNotThrowAnyException();
  }
}
