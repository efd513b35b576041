package com.rendertrust.server.webhooks;

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
 * PinnedDownload. TLS still verifies the certificate against the host name (SNI included). A
 * deadline over the whole attempt, no redirects (a 3xx is a failure like any non-2xx), and at
 * most {@link #MAX_RESPONSE_BYTES} of the answer's body are read.
 *
 * <p>Connections are kept alive ({@link IdleConnections}) when the answer allows it: HTTP/1.1,
 * no {@code Connection: close}, and a body of known length within the 1 KiB cap (or none), read
 * to its end. Any other answer closes its connection. A kept connection is reused only for an
 * attempt whose freshly checked addresses include the one it is connected to. Every request is
 * written once: a reused connection that turns out dead fails the attempt like any other
 * network error (it is probed first, so that is rare), and the attempt is retried by the rules.
 */
final class PinnedPoster implements AutoCloseable {

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

  /** The status of an answer, and whether its connection may carry the next request. */
  private record Answer(int status, boolean reusable) {
  }

  private final WebhookUrls urls;
  private final SSLSocketFactory tls;
  private final Duration timeout;
  private final IdleConnections idle;
  private final boolean keepAlive;

  PinnedPoster(WebhookUrls urls, SSLSocketFactory tls, Duration timeout) {
    this(urls, tls, timeout, 64);
  }

  /** {@code keepAlivePerHost}: idle connections kept per scheme, host and port (0: none). */
  PinnedPoster(WebhookUrls urls, SSLSocketFactory tls, Duration timeout, int keepAlivePerHost) {
    this.urls = urls;
    this.tls = tls;
    this.timeout = timeout;
    this.idle = new IdleConnections(keepAlivePerHost);
    this.keepAlive = keepAlivePerHost > 0;
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
    String key = (https ? "https://" : "http://") + host.toLowerCase(java.util.Locale.ROOT) + ":" + port;
    IdleConnections.Connection connection = null;
    try {
      connection = idle.take(key, addresses);
      if (connection == null) {
        connection = connect(addresses, port, https, bareHost, deadline);
      }
      connection.socket.setSoTimeout(remainingMillis(deadline));
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
      StringBuilder request = new StringBuilder("POST ").append(path).append(query).append(" HTTP/1.1\r\n")
          .append("Host: ").append(uri.getPort() >= 0 ? host + ":" + uri.getPort() : host).append("\r\n")
          .append("User-Agent: RenderTrust-Webhooks/1\r\n")
          .append("Content-Length: ").append(body.length).append("\r\n");
      if (!keepAlive) {
        request.append("Connection: close\r\n");
      }
      headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
      request.append("\r\n");
      byte[] head = request.toString().getBytes(StandardCharsets.ISO_8859_1);
      byte[] message = java.util.Arrays.copyOf(head, head.length + body.length);
      System.arraycopy(body, 0, message, head.length, body.length);
      OutputStream out = connection.out;
      out.write(message); // one write: head and body leave in one segment when they fit
      out.flush();
      Answer answer = readAnswer(connection.in, deadline);
      if (answer.reusable() && keepAlive) {
        idle.put(key, connection);
      } else {
        connection.close();
      }
      connection = null;
      int status = answer.status();
      return status >= 200 && status < 300 ? new Outcome(status, null) : new Outcome(status, "HTTP " + status);
    } catch (java.net.SocketTimeoutException e) {
      return Outcome.failure("timed out after " + timeout.toSeconds() + " s");
    } catch (IOException | IllegalArgumentException e) {
      return Outcome.failure(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    } finally {
      if (connection != null) {
        connection.close();
      }
    }
  }

  /** Closes kept connections idle too long; the worker calls it now and then. */
  void sweepIdle() {
    idle.sweep();
  }

  /** Idle kept-alive connections right now. */
  int idleConnections() {
    return idle.size();
  }

  @Override
  public void close() {
    idle.close();
  }

  /** Reads the status line, the headers and (within the cap) the body of one answer. */
  private static Answer readAnswer(InputStream in, long deadline) throws IOException {
    String statusLine = readLine(in, deadline);
    int status = statusOf(statusLine);
    boolean reusable = statusLine.startsWith("HTTP/1.1 ");
    long length = -1;
    int count = 0;
    for (String line = readLine(in, deadline); !line.isEmpty(); line = readLine(in, deadline)) {
      if (++count > MAX_HEADERS) {
        throw new IOException("too many response headers");
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        reusable = false;
        continue;
      }
      String name = line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> {
          long parsed = parseLength(value);
          reusable &= parsed >= 0 && (length < 0 || length == parsed);
          length = parsed;
        }
        case "transfer-encoding" -> reusable = false;
        case "connection" -> reusable &= !value.toLowerCase(java.util.Locale.ROOT).contains("close");
        default -> {
          // not needed
        }
      }
    }
    boolean noBody = status == 204 || status == 304 || (status >= 100 && status < 200);
    if (noBody || length == 0) {
      return new Answer(status, reusable && status >= 200);
    }
    if (reusable && length > 0 && length <= MAX_RESPONSE_BYTES) {
      readExactly(in, (int) length, deadline);
      return new Answer(status, true);
    }
    skipBody(in, deadline);
    return new Answer(status, false);
  }

  private static long parseLength(String value) {
    try {
      return value.matches("[0-9]{1,18}") ? Long.parseLong(value) : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void readExactly(InputStream in, int length, long deadline) throws IOException {
    byte[] buffer = new byte[length];
    int total = 0;
    while (total < length) {
      checkDeadline(deadline);
      int read = in.read(buffer, total, length - total);
      if (read < 0) {
        throw new IOException("connection closed before a complete answer");
      }
      total += read;
    }
  }

  /** Connects to the first checked address that answers. */
  private IdleConnections.Connection connect(List<InetAddress> addresses, int port, boolean https, String host,
      long deadline) throws IOException {
    IOException last = new IOException("no address");
    for (InetAddress address : addresses) {
      Socket socket = new Socket();
      try {
        socket.connect(new InetSocketAddress(address, port), remainingMillis(deadline));
        socket.setSoTimeout(remainingMillis(deadline));
        socket.setTcpNoDelay(true);
        return new IdleConnections.Connection(https ? tls(socket, host, port) : socket, address);
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
