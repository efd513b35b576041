package com.rendertrust.agent.link;

import java.util.Optional;

/** Registering or proving the key failed; the message says why in operator terms. */
public final class RegistrationException extends Exception {

  private final transient RpcFailure failure;

  public RegistrationException(String message, RpcFailure failure) {
    super(message);
    this.failure = failure;
  }

  public Optional<RpcFailure> failure() {
    return Optional.ofNullable(failure);
  }
}
