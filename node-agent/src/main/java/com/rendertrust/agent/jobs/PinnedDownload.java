package com.rendertrust.agent.jobs;

import com.rendertrust.agent.plugins.PluginFailure;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Downloads a user-chosen URL ({@code payload_ref}) without letting it reach into the node's own
 * network. The host is resolved once, every address it resolves to is checked against
 * {@link PrivateRanges}, and the connection goes to a checked address itself, so a name that
 * resolves to a public address for the check and to 127.0.0.1 a moment later (DNS rebinding)
 * gets nowhere. TLS still verifies the certificate against the host name (SNI included).
 * Redirects are followed by hand, each hop resolved and checked again. HTTP/1.1, one request per
 * connection. With {@code allowPrivate} (RT_AGENT_ALLOW_PRIVATE_INPUTS, lab setups) the range
 * check is off; the rest stays.
 */
public final class PinnedDownload {

  /** Looks up every address of a host name; the system resolver outside tests. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private static final int MAX_REDIRECTS = 5;
  private static final int MAX_HEADER_LINE = 16 * 1024;
  private static final int MAX_HEADERS = 200;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final boolean allowPrivate;
  private final Resolver resolver;
  private final SSLSocketFactory tls;

  public PinnedDownload(boolean allowPrivate) {
    this(allowPrivate, InetAddress::getAllByName, (SSLSocketFactory) SSLSocketFactory.getDefault());
  }

  public PinnedDownload(boolean allowPrivate, Resolver resolver, SSLSocketFactory tls) {
    this.allowPrivate = allowPrivate;
    this.resolver = resolver;
    this.tls = tls;
  }

  /** Downloads {@code url} into {@code target}; {@code field} names the reference in error messages. */
  public void download(String field, URI url, Path target, Duration timeout) throws PluginFailure, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    URI hop = url;
    for (int redirects = 0; ; redirects++) {
      Optional<URI> next = fetchOnce(field, url, hop, target, deadline);
      if (next.isEmpty()) {
        return;
      }
      if (redirects == MAX_REDIRECTS) {
        throw PluginFailure.inputUnavailable("could not download " + field + " " + UrlText.withoutQuery(url.toString())
            + ": more than " + MAX_REDIRECTS + " redirects");
      }
      hop = next.get();
    }
  }

  /** One request; the redirect target if the answer was a redirect, else empty with the body in {@code target}. */
  private Optional<URI> fetchOnce(String field, URI original, URI hop, Path target, long deadline)
      throws PluginFailure, InterruptedException {
    String shown = field + " " + UrlText.withoutQuery(original.toString());
    String scheme = hop.getScheme() == null ? "" : hop.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw PluginFailure.invalidInput("could not download " + shown + ": only http and https URLs are fetched");
    }
    if (hop.getHost() == null || hop.getRawUserInfo() != null) {
      throw PluginFailure.invalidInput("could not download " + shown + ": the URL needs a valid host and no user info");
    }
    String host = hop.getHost();
    String bareHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    List<InetAddress> addresses = checkedAddresses(shown, host, bareHost);
    boolean https = scheme.equals("https");
    int port = hop.getPort() >= 0 ? hop.getPort() : (https ? 443 : 80);
    try (Socket socket = connect(addresses, port, https, bareHost, deadline)) {
      OutputStream out = socket.getOutputStream();
      String path = hop.getRawPath() == null || hop.getRawPath().isEmpty() ? "/" : hop.getRawPath();
      String query = hop.getRawQuery() == null ? "" : "?" + hop.getRawQuery();
      String hostHeader = hop.getPort() >= 0 ? host + ":" + hop.getPort() : host;
      out.write(("GET " + path + query + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: rendertrust-node-agent"
          + "\r\nAccept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      int status = statusOf(readLine(in));
      Map<String, String> headers = readHeaders(in);
      if (status >= 300 && status < 400 && headers.containsKey("location")) {
        return Optional.of(hop.resolve(headers.get("location").strip()));
      }
      if (status / 100 != 2) {
        throw PluginFailure.inputUnavailable("could not download " + shown + ": HTTP " + status);
      }
      try (OutputStream file = Files.newOutputStream(target)) {
        copyBody(in, headers, file, deadline);
      }
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      deleteQuietly(target);
      throw PluginFailure.inputUnavailable("could not download " + shown + ": " + e.getMessage());
    }
  }

  private List<InetAddress> checkedAddresses(String shown, String host, String bareHost) throws PluginFailure {
    InetAddress[] resolved;
    try {
      resolved = resolver.resolve(bareHost);
    } catch (UnknownHostException e) {
      throw PluginFailure.inputUnavailable("could not download " + shown + ": unknown host " + host);
    }
    if (!allowPrivate) {
      for (InetAddress address : resolved) {
        Optional<String> range = PrivateRanges.of(address);
        if (range.isPresent()) {
          throw PluginFailure.invalidInput("refused to download " + shown + ": host " + host + " is or resolves to a "
              + range.get() + " address, which this node does not fetch (RT_AGENT_ALLOW_PRIVATE_INPUTS is off)");
        }
      }
    }
    return List.of(resolved);
  }

  /** Connects to the first checked address that answers; never resolves the name again. */
  private Socket connect(List<InetAddress> addresses, int port, boolean https, String host, long deadline)
      throws IOException {
    IOException last = new IOException("no address");
    for (InetAddress address : addresses) {
      Socket socket = new Socket();
      try {
        socket.connect(new InetSocketAddress(address, port),
            (int) Math.max(1, Math.min(CONNECT_TIMEOUT.toMillis(), remainingMillis(deadline))));
        socket.setSoTimeout((int) Math.max(1, Math.min(CONNECT_TIMEOUT.toMillis() * 3, remainingMillis(deadline))));
        return https ? tls(socket, host, port) : socket;
      } catch (IOException e) {
        socket.close();
        last = e;
      }
    }
    throw last;
  }

  private SSLSocket tls(Socket socket, String host, int port) throws IOException {
    SSLSocket ssl = (SSLSocket) tls.createSocket(socket, host, port, true);
    SSLParameters parameters = ssl.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host, not the address
    if (!host.contains(":") && !Character.isDigit(host.charAt(host.length() - 1))) {
      parameters.setServerNames(List.of(new SNIHostName(host)));
    }
    ssl.setSSLParameters(parameters);
    ssl.startHandshake();
    return ssl;
  }

  private static void copyBody(InputStream in, Map<String, String> headers, OutputStream file, long deadline)
      throws IOException, InterruptedException {
    if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
      for (long size = chunkSize(readLine(in)); size > 0; size = chunkSize(readLine(in))) {
        copy(in, file, size, deadline);
        readLine(in); // the CRLF after the chunk
      }
      while (!readLine(in).isEmpty()) {
        // trailers: ignored
      }
      return;
    }
    String length = headers.get("content-length");
    copy(in, file, length == null ? -1 : Long.parseLong(length.strip()), deadline);
  }

  /** Copies {@code length} bytes (-1: until the server closes), checking the deadline and interrupts. */
  private static void copy(InputStream in, OutputStream out, long length, long deadline)
      throws IOException, InterruptedException {
    byte[] buffer = new byte[64 * 1024];
    long left = length;
    while (left != 0) {
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      if (remainingMillis(deadline) <= 0) {
        throw new IOException("timed out");
      }
      int read = in.read(buffer, 0, left < 0 ? buffer.length : (int) Math.min(buffer.length, left));
      if (read < 0) {
        if (left > 0) {
          throw new IOException("connection closed " + left + " bytes before the end");
        }
        return;
      }
      out.write(buffer, 0, read);
      left = left < 0 ? -1 : left - read;
    }
  }

  private static Map<String, String> readHeaders(InputStream in) throws IOException {
    Map<String, String> headers = new HashMap<>();
    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
      int colon = line.indexOf(':');
      if (colon <= 0 || headers.size() >= MAX_HEADERS) {
        throw new IOException("malformed HTTP response header");
      }
      headers.merge(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip(),
          (first, second) -> first + ", " + second);
    }
    return headers;
  }

  private static int statusOf(String statusLine) throws IOException {
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[0-9]{3}")) {
      throw new IOException("not an HTTP/1.x response");
    }
    return Integer.parseInt(parts[1]);
  }

  private static long chunkSize(String line) throws IOException {
    int extension = line.indexOf(';');
    String hex = (extension < 0 ? line : line.substring(0, extension)).strip();
    try {
      return Long.parseLong(hex, 16);
    } catch (NumberFormatException e) {
      throw new IOException("malformed chunk size", e);
    }
  }

  /** One CRLF- (or LF-) terminated line, without the terminator; bounded in length. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed in the middle of the response");
      }
      if (line.size() >= MAX_HEADER_LINE) {
        throw new IOException("HTTP response line too long");
      }
      line.write(b);
    }
    String text = line.toString(StandardCharsets.ISO_8859_1);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
  }

  private static long remainingMillis(long deadline) {
    return Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
  }

  private static void deleteQuietly(Path target) {
    try {
      Files.deleteIfExists(target);
    } catch (IOException ignored) {
      // a leftover partial input dies with the work dir
    }
  }
}
