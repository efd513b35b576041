package com.rendertrust.agent.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.rendertrust.agent.plugins.ErrorCode;
import com.rendertrust.agent.plugins.PluginFailure;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The agent's guarded download of user-chosen URLs: resolve once, check every address, connect to it. */
class PinnedDownloadTest {

  @TempDir Path work;
  private HttpServer files;
  private final byte[] chunkedBody = new byte[200_000];
  private final List<String> hostHeaders = new CopyOnWriteArrayList<>();
  private final List<String> lookups = new CopyOnWriteArrayList<>();

  @BeforeEach
  void serve() throws Exception {
    new Random(21).nextBytes(chunkedBody);
    files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    files.createContext("/chunked.bin", exchange -> {
      try (exchange) {
        hostHeaders.add(exchange.getRequestHeaders().getFirst("Host"));
        exchange.sendResponseHeaders(200, 0); // 0: chunked transfer encoding
        exchange.getResponseBody().write(chunkedBody);
      }
    });
    files.start();
  }

  @AfterEach
  void stop() {
    files.stop(0);
  }

  /** DNS that an attacker controls: these names resolve wherever the test says. */
  private InetAddress[] dns(String host) throws UnknownHostException {
    lookups.add(host);
    return switch (host) {
      case "files.example" -> new InetAddress[] {InetAddress.getByName("127.0.0.1")};
      case "mixed.example" -> new InetAddress[] {InetAddress.getByName("93.184.216.34"), InetAddress.getByName("127.0.0.1")};
      case "metadata.example" -> new InetAddress[] {InetAddress.getByName("169.254.169.254")};
      case "v6.example" -> new InetAddress[] {InetAddress.getByName("::ffff:10.0.0.7")};
      default -> InetAddress.getAllByName(host); // literals; .example names do not exist
    };
  }

  private PinnedDownload download(boolean allowPrivate) {
    return new PinnedDownload(allowPrivate, this::dns, (SSLSocketFactory) SSLSocketFactory.getDefault());
  }

  private URI url(String host, String path) {
    return URI.create("http://" + host + ":" + files.getAddress().getPort() + path);
  }

  @ParameterizedTest
  @CsvSource({"mixed.example, loopback", "metadata.example, link-local", "v6.example, private",
      "127.0.0.1, loopback", "[::1], loopback", "[::ffff:127.0.0.1], loopback"})
  void everyAddressANameResolvesToIsCheckedBeforeAnyConnection(String host, String range) {
    PluginFailure refused = catchThrowableOfType(PluginFailure.class,
        () -> download(false).download("payload_ref", url(host, "/chunked.bin"), work.resolve("in"), Duration.ofSeconds(5)));

    assertThat(refused.code()).isEqualTo(ErrorCode.INVALID_INPUT);
    assertThat(refused.getMessage()).contains(range);
    assertThat(hostHeaders).as("no request was made").isEmpty();
    assertThat(Files.exists(work.resolve("in"))).isFalse();
  }

  @Test
  void theConnectionGoesToTheAddressThatWasCheckedWithTheNameInTheHostHeader() throws Exception {
    // files.example exists only in the test's DNS: the download used that answer, not a second lookup.
    Path target = work.resolve("in");
    download(true).download("payload_ref", url("files.example", "/chunked.bin"), target, Duration.ofSeconds(10));

    assertThat(Files.readAllBytes(target)).isEqualTo(chunkedBody);
    assertThat(hostHeaders).containsExactly("files.example:" + files.getAddress().getPort());
    assertThat(lookups).containsExactly("files.example");
  }

  @Test
  void anUnknownHostIsInputUnavailable() {
    PluginFailure failure = catchThrowableOfType(PluginFailure.class,
        () -> download(false).download("payload_ref", url("nowhere.example", "/x"), work.resolve("in"), Duration.ofSeconds(5)));

    assertThat(failure.code()).isEqualTo(ErrorCode.INPUT_UNAVAILABLE);
    assertThat(failure.getMessage()).contains("unknown host nowhere.example");
  }

  @Test
  void privateRangesCoverTheIpv6FormsThatCarryAnIpv4Address() throws Exception {
    assertThat(PrivateRanges.of(InetAddress.getByName("2002:a9fe:a9fe::1"))).contains("link-local (cloud metadata)");
    assertThat(PrivateRanges.of(InetAddress.getByName("64:ff9b::7f00:1"))).contains("loopback");
    assertThat(PrivateRanges.of(InetAddress.getByName("::7f00:1"))).contains("loopback");
    assertThat(PrivateRanges.of(InetAddress.getByName("fd00:ec2::254"))).contains("unique-local (cloud metadata)");
    assertThat(PrivateRanges.of(InetAddress.getByName("100.100.100.200"))).contains("carrier-grade NAT (shared)");
    assertThat(PrivateRanges.of(InetAddress.getByName("93.184.216.34"))).isEmpty();
    assertThat(PrivateRanges.of(InetAddress.getByName("2606:2800:220:1:248:1893:25c8:1946"))).isEmpty();
  }
}
