package com.rendertrust.sdk;

import java.util.function.Function;
import java.util.function.Supplier;

/** Runs a call on one service's stub with the client's deadline, token refresh and error translation. */
interface StubCaller<S> {

  <T> T call(Function<S, T> rpc);

  /** Adapts the client's {@link Supplier}-style calls to a caller of {@code stub}'s service. */
  static <S> StubCaller<S> of(Function<Supplier<Object>, Object> call, Supplier<S> stub) {
    return new StubCaller<>() {
      @Override
      @SuppressWarnings("unchecked")
      public <T> T call(Function<S, T> rpc) {
        return (T) call.apply(() -> rpc.apply(stub.get()));
      }
    };
  }
}
