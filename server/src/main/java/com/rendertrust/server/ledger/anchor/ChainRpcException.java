package com.rendertrust.server.ledger.anchor;

/** The chain answered a JSON-RPC call with an error (the node's message, never our key or data). */
public final class ChainRpcException extends RuntimeException {

  public ChainRpcException(String method, String message) {
    super(method + " failed: " + message);
  }
}
