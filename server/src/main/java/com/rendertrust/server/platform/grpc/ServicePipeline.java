package com.rendertrust.server.platform.grpc;

import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.util.ArrayList;
import java.util.List;

/**
 * The interceptor chain every public service runs behind, in one place so the server and the
 * tests wrap services identically. Interceptors are listed innermost first.
 */
public final class ServicePipeline {

  private final List<ServerInterceptor> innermostFirst;

  public ServicePipeline(List<ServerInterceptor> innermostFirst) {
    this.innermostFirst = List.copyOf(innermostFirst);
  }

  public ServerServiceDefinition wrap(BindableService service) {
    return ServerInterceptors.intercept(service, innermostFirst);
  }

  /** Wraps an already bound service, e.g. gRPC health or reflection. */
  public ServerServiceDefinition wrap(ServerServiceDefinition service) {
    return ServerInterceptors.intercept(service, innermostFirst);
  }

  public List<ServerServiceDefinition> wrapAll(List<? extends BindableService> services) {
    List<ServerServiceDefinition> wrapped = new ArrayList<>();
    services.forEach(service -> wrapped.add(wrap(service)));
    return wrapped;
  }
}
