package com.rendertrust.server.webhooks;

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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * POSTs one delivery over HTTP/1.1 to an address {@link WebhookUrls} checked, never to whatever
 * the name resolves to a moment later (DNS rebinding); the pattern of the node agent's
 * PinnedDownload. TLS still verifies the certificate against the host name (SNI included). One
 * request per connection, a deadline over the whole attempt, no redirects (a 3xx is a failure
 * like any non-2xx), and at most {@link #MAX_RESPONSE_BYTES} of the answer's body are read.
 */
final class PinnedPoster {

  static final int MAX_RESPONSE_BYTES = 1024;
  private static final int MAX_LINE = 8 * 1024;
  private static final int MAX_HEADERS = 100;

  /** What an attempt came to: the answer's status, or why there was none (then status is 0). */
  record Outcome(int status, String error) {
    boolean succeeded() {
      return status >= 200 && status < 300;
    }

    static Outcome failure(String error) {
      return new Outcome(0, error);
    }
  }

  private final WebhookUrls urls;
  private final SSLSocketFactory tls;
  private final Duration timeout;

  PinnedPoster(WebhookUrls urls, SSLSocketFactory tls, Duration timeout) {
    this.urls = urls;
    this.tls = tls;
    this.timeout = timeout;
  }

  Outcome post(String url, Map<String, String> headers, byte[] body) {
    long deadline = System.nanoTime() + timeout.toNanos();
    URI uri = URI.create(url);
    List<InetAddress> addresses;
    try {
      addresses = urls.checkedAddresses(uri);
    } catch (WebhookUrls.RefusedAddress e) {
      return Outcome.failure("refused: " + e.getMessage());
    } catch (UnknownHostException e) {
      return Outcome.failure("unknown host " + uri.getHost());
    }
    boolean https = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() >= 0 ? uri.getPort() : (https ? 443 : 80);
    String host = uri.getHost();
    String bareHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    try (Socket socket = connect(addresses, port, https, bareHost, deadline)) {
      OutputStream out = socket.getOutputStream();
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
      StringBuilder request = new StringBuilder("POST ").append(path).append(query).append(" HTTP/1.1\r\n")
          .append("Host: ").append(uri.getPort() >= 0 ? host + ":" + uri.getPort() : host).append("\r\n")
          .append("User-Agent: RenderTrust-Webhooks/1\r\n")
          .append("Content-Length: ").append(body.length).append("\r\n")
          .append("Connection: close\r\n");
      headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
      request.append("\r\n");
      out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream(), 2048);
      int status = statusOf(readLine(in, deadline));
      readHeaders(in, deadline);
      skipBody(in, deadline);
      return status >= 200 && status < 300 ? new Outcome(status, null) : new Outcome(status, "HTTP " + status);
    } catch (java.net.SocketTimeoutException e) {
      return Outcome.failure("timed out after " + timeout.toSeconds() + " s");
    } catch (IOException | IllegalArgumentException e) {
      return Outcome.failure(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
  }

  /** Connects to the first checked address that answers. */
  private Socket connect(List<InetAddress> addresses, int port, boolean https, String host, long deadline)
      throws IOException {
    IOException last = new IOException("no address");
    for (InetAddress address : addresses) {
      Socket socket = new Socket();
      try {
        socket.connect(new InetSocketAddress(address, port), remainingMillis(deadline));
        socket.setSoTimeout(remainingMillis(deadline));
        socket.setTcpNoDelay(true);
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
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    if (!host.contains(":") && !Character.isDigit(host.charAt(host.length() - 1))) {
      parameters.setServerNames(List.of(new SNIHostName(host)));
    }
    ssl.setSSLParameters(parameters);
    ssl.startHandshake();
    return ssl;
  }

  private static void readHeaders(InputStream in, long deadline) throws IOException {
    int count = 0;
    for (String line = readLine(in, deadline); !line.isEmpty(); line = readLine(in, deadline)) {
      if (++count > MAX_HEADERS) {
        throw new IOException("too many response headers");
      }
    }
  }

  /** Reads (and drops) at most MAX_RESPONSE_BYTES of the body; the rest is never read. */
  private static void skipBody(InputStream in, long deadline) throws IOException {
    byte[] buffer = new byte[MAX_RESPONSE_BYTES];
    int total = 0;
    while (total < MAX_RESPONSE_BYTES && in.available() > 0) {
      checkDeadline(deadline);
      int read = in.read(buffer, total, MAX_RESPONSE_BYTES - total);
      if (read < 0) {
        return;
      }
      total += read;
    }
  }

  private static int statusOf(String statusLine) throws IOException {
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[0-9]{3}")) {
      throw new IOException("not an HTTP/1.x response");
    }
    return Integer.parseInt(parts[1]);
  }

  private static String readLine(InputStream in, long deadline) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed before a complete answer");
      }
      if (line.size() >= MAX_LINE) {
        throw new IOException("response line too long");
      }
      line.write(b);
    }
    checkDeadline(deadline);
    String text = line.toString(StandardCharsets.ISO_8859_1);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
  }

  private static void checkDeadline(long deadline) throws IOException {
    if (System.nanoTime() - deadline > 0) {
      throw new java.net.SocketTimeoutException("deadline");
    }
  }

  private static int remainingMillis(long deadline) throws IOException {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0) {
      throw new java.net.SocketTimeoutException("deadline");
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }
}
