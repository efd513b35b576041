package com.rendertrust.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 keep-alive client for one GET on one connection: the request bytes are
 * built once, the answer is read with Content-Length or chunked framing. Its own cost stays
 * far below the JDK HttpClient's, so a REST figure measures the server's edge rather than the
 * client (the gRPC side uses grpc-java's Netty client, which is lean too). Reconnects after a
 * failure or when the server closes the connection.
 */
final class RestClient implements AutoCloseable {

  private final int port;
  private final byte[] request;
  private final String expected;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  /** {@code expected}: text every correct answer's body contains (e.g. the caller's user id). */
  RestClient(int port, String path, String bearerToken, String expected) {
    this.port = port;
    this.request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAccept: application/json\r\n"
        + "Authorization: Bearer " + bearerToken + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    this.expected = expected;
  }

  /** True for a 200 answer whose body contains the expected text. */
  boolean get() throws IOException {
    if (socket == null) {
      socket = new Socket("127.0.0.1", port);
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(10_000);
      in = new BufferedInputStream(socket.getInputStream(), 8192);
      out = socket.getOutputStream();
    }
    try {
      out.write(request);
      out.flush();
      String status = line();
      int contentLength = -1;
      boolean chunked = false;
      boolean close = false;
      for (String header = line(); !header.isEmpty(); header = line()) {
        String lower = header.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          contentLength = Integer.parseInt(lower.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        } else if (lower.startsWith("connection:") && lower.contains("close")) {
          close = true;
        }
      }
      byte[] body = chunked ? chunkedBody() : in.readNBytes(Math.max(0, contentLength));
      if (close) {
        close();
      }
      return status.startsWith("HTTP/1.1 200") && new String(body, StandardCharsets.UTF_8).contains(expected);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private byte[] chunkedBody() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = line();
      int semicolon = size.indexOf(';');
      int length = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
      if (length == 0) {
        while (!line().isEmpty()) {
          // trailers
        }
        return body.toByteArray();
      }
      body.write(in.readNBytes(length));
      line();
    }
  }

  private String line() throws IOException {
    StringBuilder text = new StringBuilder(64);
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        int end = text.length();
        return end > 0 && text.charAt(end - 1) == '\r' ? text.substring(0, end - 1) : text.toString();
      }
      text.append((char) c);
    }
    throw new IOException("connection closed by the server");
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      socket = null;
    }
  }
}
