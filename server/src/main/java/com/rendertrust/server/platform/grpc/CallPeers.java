package com.rendertrust.server.platform.grpc;

import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.Grpc;
import io.grpc.ServerCall;
import java.net.SocketAddress;

/**
 * The address a call came from, whichever way it arrived: the HTTP edge's connection for calls
 * served through Armeria (gRPC, gRPC-Web and transcoded REST share one port), else the gRPC
 * transport's remote address (e.g. in-process servers).
 */
public final class CallPeers {

  private CallPeers() {
  }

  public static SocketAddress remoteAddress(ServerCall<?, ?> call) {
    ServiceRequestContext http = ServiceRequestContext.currentOrNull();
    if (http != null) {
      return http.remoteAddress();
    }
    return call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
  }
}
