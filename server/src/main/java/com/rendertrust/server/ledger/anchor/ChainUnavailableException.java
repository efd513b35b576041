package com.rendertrust.server.ledger.anchor;

/**
 * The chain's JSON-RPC endpoint could not be reached or did not answer in time. Anchoring keeps
 * its state and retries; nothing is lost, nothing is marked failed.
 */
public final class ChainUnavailableException extends RuntimeException {

  public ChainUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
