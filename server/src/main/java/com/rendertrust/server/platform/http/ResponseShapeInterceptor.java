package com.rendertrust.server.platform.http;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.netty.util.AttributeKey;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells the in-process REST edge which message a transcoded call's JSON body holds: the RPC's
 * output type, or the type of its {@code response_body} field. {@link NullFields} then prints
 * every unset optional or message field as {@code null}, as the REST contract requires (the
 * transcoder itself omits them). Native gRPC calls are unaffected.
 */
public final class ResponseShapeInterceptor implements ServerInterceptor {

  static final AttributeKey<Descriptor> RESPONSE_TYPE =
      AttributeKey.valueOf(ResponseShapeInterceptor.class, "RESPONSE_TYPE");

  private final Map<String, Optional<Descriptor>> byMethod = new ConcurrentHashMap<>();

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    ServiceRequestContext ctx = ServiceRequestContext.currentOrNull();
    if (ctx != null) {
      io.grpc.MethodDescriptor<Q, R> method = call.getMethodDescriptor();
      byMethod.computeIfAbsent(method.getFullMethodName(), name -> jsonBodyType(method))
          .ifPresent(type -> ctx.setAttr(RESPONSE_TYPE, type));
    }
    return next.startCall(call, headers);
  }

  private static Optional<Descriptor> jsonBodyType(io.grpc.MethodDescriptor<?, ?> method) {
    if (!(method.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier supplier)) {
      return Optional.empty();
    }
    return bodyType(supplier.getMethodDescriptor()).filter(NullFields::mayAdd);
  }

  /** Responses without fields that print as null (e.g. GetBalance's) skip the re-parse of their JSON. */
  private static Optional<Descriptor> bodyType(MethodDescriptor descriptor) {
    Descriptor output = descriptor.getOutputType();
    HttpRule rule = descriptor.getOptions().getExtension(AnnotationsProto.http);
    String responseBody = rule.getResponseBody();
    if (responseBody.isEmpty()) {
      return Optional.of(output);
    }
    FieldDescriptor field = output.findFieldByName(responseBody);
    if (field == null || field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || field.isRepeated()) {
      return Optional.empty();
    }
    return Optional.of(field.getMessageType());
  }
}
