package com.rendertrust.server.testing;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.testing.GrpcCleanupRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * grpc-testing's {@link GrpcCleanupRule} for JUnit 5: in-process servers and channels whose
 * lifecycle it manages (each is shut down after its test, and the test fails if one does not
 * terminate), for fast tests of interceptors and adapters that need no PostgreSQL.
 * Use it as a {@code @RegisterExtension} field.
 */
public final class InProcessGrpc implements AfterEachCallback {

  private GrpcCleanupRule cleanup = new GrpcCleanupRule();

  /** Serves {@code service} behind {@code interceptors} (the first listed runs first) and returns a channel to it. */
  public ManagedChannel serve(BindableService service, ServerInterceptor... interceptors) {
    String name = InProcessServerBuilder.generateName();
    // ServerInterceptors.intercept runs the last given interceptor first: reverse for reading order.
    ServerInterceptor[] outermostLast = new ServerInterceptor[interceptors.length];
    for (int i = 0; i < interceptors.length; i++) {
      outermostLast[i] = interceptors[interceptors.length - 1 - i];
    }
    try {
      cleanup.register(InProcessServerBuilder.forName(name).directExecutor()
          .addService(ServerInterceptors.intercept(service, outermostLast)).build().start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return cleanup.register(InProcessChannelBuilder.forName(name).directExecutor().build());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    // The rule cleans up when the statement it wraps ends: wrap an empty one.
    Statement cleaning = cleanup.apply(new Statement() {
      @Override
      public void evaluate() {
      }
    }, Description.EMPTY);
    cleanup = new GrpcCleanupRule();
    try {
      cleaning.evaluate();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("in-process gRPC cleanup failed", e);
    }
  }
}
