package com.rendertrust.server.platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Free TCP ports for the embedded processes (Redis, anvil) the server starts itself. */
public final class FreePorts {

  private FreePorts() {
  }

  /** A port nothing listens on right now; the caller binds it next, so a race is unlikely but possible. */
  public static int any() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
