package com.rendertrust.server.platform.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts every RPC and records its latency per method and final status code, as one
 * histogram ({@code rpc_server_duration_seconds}); Prometheus derives the request count from it.
 */
public final class RpcMetricsInterceptor implements ServerInterceptor {

  private final MeterRegistry registry;
  /** One timer per method and code, built once: the lookup stays off every call's allocation path. */
  private final Map<String, Map<Status.Code, Timer>> timers = new ConcurrentHashMap<>();

  public RpcMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  private Timer timer(String method, Status.Code code) {
    return timers.computeIfAbsent(method, m -> new ConcurrentHashMap<>())
        .computeIfAbsent(code, c -> Timer.builder("rpc_server_duration")
            .description("Server-side RPC latency by method and status code")
            .tag("method", method)
            .tag("code", c.name())
            .publishPercentileHistogram()
            .register(registry));
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    long startNanos = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    ServerCall<Q, R> timed = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        timer(method, status.getCode()).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        super.close(status, trailers);
      }
    };
    return next.startCall(timed, headers);
  }
}
