package com.rendertrust.server.webhooks;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Kept-alive HTTP/1.1 connections of the webhook poster, by {@code scheme://host:port}. A
 * connection is only reused for an attempt whose freshly checked addresses contain the address
 * it is connected to, so the SSRF guard holds for every request: a host whose name now resolves
 * elsewhere (DNS rebinding included) gets a new connection to a checked address. A connection
 * idle longer than {@link #MAX_IDLE} is closed rather than reused (receivers close idle ones
 * after a few seconds: Node's default is 5 s), and one is probed before reuse: if the receiver
 * closed it or left bytes on it, it is dropped, so a request is never written to a connection
 * known to be dead.
 */
final class IdleConnections implements AutoCloseable {

  static final Duration MAX_IDLE = Duration.ofSeconds(4);
  private static final long SWEEP_EVERY_NANOS = Duration.ofSeconds(1).toNanos();

  /** One open connection: its socket (plain or TLS), streams, and the checked address it reached. */
  static final class Connection implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    final InetAddress address;
    private long idleSince;

    Connection(Socket socket, InetAddress address) throws IOException {
      this.socket = socket;
      this.in = new BufferedInputStream(socket.getInputStream(), 2048);
      this.out = socket.getOutputStream();
      this.address = address;
    }

    /** Still open and clean: no EOF and no stray bytes within a millisecond. */
    boolean alive() {
      try {
        socket.setSoTimeout(1);
        in.read();
        return false; // EOF, or bytes nobody asked for
      } catch (SocketTimeoutException quiet) {
        return true;
      } catch (IOException e) {
        return false;
      }
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  private final int maxPerKey;
  private final Map<String, ConcurrentLinkedDeque<Connection>> idle = new ConcurrentHashMap<>();
  private final AtomicInteger count = new AtomicInteger();
  private volatile long lastSweep = System.nanoTime();
  private volatile boolean closed;

  IdleConnections(int maxPerKey) {
    this.maxPerKey = maxPerKey;
  }

  /** A live idle connection of {@code key} to one of {@code allowed}; null when there is none. */
  Connection take(String key, List<InetAddress> allowed) {
    ConcurrentLinkedDeque<Connection> deque = idle.get(key);
    if (deque == null) {
      return null;
    }
    long now = System.nanoTime();
    Connection connection;
    while ((connection = deque.pollFirst()) != null) {
      count.decrementAndGet();
      if (now - connection.idleSince > MAX_IDLE.toNanos() || !allowed.contains(connection.address)
          || !connection.alive()) {
        connection.close();
        continue;
      }
      return connection;
    }
    return null;
  }

  /** Keeps {@code connection} for the next attempt of {@code key} (or closes it when enough are kept). */
  void put(String key, Connection connection) {
    long now = System.nanoTime();
    ConcurrentLinkedDeque<Connection> deque = idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
    if (closed || deque.size() >= maxPerKey) {
      connection.close();
    } else {
      connection.idleSince = now;
      deque.addFirst(connection);
      count.incrementAndGet();
    }
    sweep();
  }

  /** Idle connections kept right now. */
  int size() {
    return count.get();
  }

  /** Closes connections idle too long (of endpoints that got no attempt since); at most once a second. */
  void sweep() {
    long now = System.nanoTime();
    if (now - lastSweep < SWEEP_EVERY_NANOS) {
      return;
    }
    lastSweep = now;
    for (ConcurrentLinkedDeque<Connection> deque : idle.values()) {
      for (Connection connection : deque) {
        if (now - connection.idleSince > MAX_IDLE.toNanos() && deque.remove(connection)) {
          count.decrementAndGet();
          connection.close();
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    idle.values().forEach(deque -> {
      Connection connection;
      while ((connection = deque.pollFirst()) != null) {
        count.decrementAndGet();
        connection.close();
      }
    });
  }
}
