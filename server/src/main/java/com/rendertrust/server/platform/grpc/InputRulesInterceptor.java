package com.rendertrust.server.platform.grpc;

import com.google.protobuf.Message;
import com.rendertrust.server.platform.input.RequestMessages;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Refuses (422, the offending field named) any request message that breaks the input rules of
 * {@link RequestMessages}, before a handler sees it, on every RPC and every edge. It must sit
 * inside {@link ErrorMappingInterceptor}, which turns the thrown failure into the wire error and
 * closes the call. A refused message never reaches the handler, nor does any later one; the
 * handler still hears the half-close, so a stream's handler ends as usual (a unary handler
 * without its request does nothing, and its late close is ignored).
 */
public final class InputRulesInterceptor implements ServerInterceptor {

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        if (message instanceof Message proto) {
          try {
            RequestMessages.check(proto);
          } catch (RuntimeException e) {
            refused = true;
            throw e;
          }
        }
        super.onMessage(message);
      }
    };
  }
}
