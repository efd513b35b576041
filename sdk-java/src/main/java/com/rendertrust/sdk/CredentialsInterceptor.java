package com.rendertrust.sdk;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/** Adds the current credentials to every outgoing call. */
final class CredentialsInterceptor implements ClientInterceptor {
  private final Credentials credentials;

  CredentialsInterceptor(Credentials credentials) {
    this.credentials = credentials;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        credentials.apply(headers);
        super.start(listener, headers);
      }
    };
  }
}
