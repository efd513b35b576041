package com.rendertrust.gateway;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.ErrorInfo;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder.PrintOptions;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What Envoy's grpc_json_transcoder hands the next (Lua) filter for a failed unary call when
 * {@code convert_grpc_status} is on, following json_transcoder_filter.cc: {@code :status} from
 * Envoy's gRPC-to-HTTP table, {@code content-type: application/json}, and the google.rpc.Status
 * printed with the configured print options through a type resolver over the descriptor set.
 *
 * <p>Trailers-only responses (grpc-java's usual unary error) keep the server's other trailers,
 * such as {@code x-http-status}, as headers; after a headers frame they stay in the trailers.
 */
final class TranscoderOutput {

  /** Grpc::Utility::grpcToHttpStatus in Envoy (source/common/grpc/status.cc). */
  static final Map<Status.Code, Integer> ENVOY_HTTP_STATUS = new EnumMap<>(Status.Code.class);

  static {
    ENVOY_HTTP_STATUS.put(Status.Code.OK, 200);
    ENVOY_HTTP_STATUS.put(Status.Code.CANCELLED, 499);
    ENVOY_HTTP_STATUS.put(Status.Code.UNKNOWN, 500);
    ENVOY_HTTP_STATUS.put(Status.Code.INVALID_ARGUMENT, 400);
    ENVOY_HTTP_STATUS.put(Status.Code.DEADLINE_EXCEEDED, 504);
    ENVOY_HTTP_STATUS.put(Status.Code.NOT_FOUND, 404);
    ENVOY_HTTP_STATUS.put(Status.Code.ALREADY_EXISTS, 409);
    ENVOY_HTTP_STATUS.put(Status.Code.PERMISSION_DENIED, 403);
    ENVOY_HTTP_STATUS.put(Status.Code.RESOURCE_EXHAUSTED, 429);
    ENVOY_HTTP_STATUS.put(Status.Code.FAILED_PRECONDITION, 400);
    ENVOY_HTTP_STATUS.put(Status.Code.ABORTED, 409);
    ENVOY_HTTP_STATUS.put(Status.Code.OUT_OF_RANGE, 400);
    ENVOY_HTTP_STATUS.put(Status.Code.UNIMPLEMENTED, 501);
    ENVOY_HTTP_STATUS.put(Status.Code.INTERNAL, 500);
    ENVOY_HTTP_STATUS.put(Status.Code.UNAVAILABLE, 503);
    ENVOY_HTTP_STATUS.put(Status.Code.DATA_LOSS, 500);
    ENVOY_HTTP_STATUS.put(Status.Code.UNAUTHENTICATED, 401);
  }

  /** A gRPC failure as the server sends it. {@code reason} null: no ErrorInfo; {@code httpMark} null: no x-http-status. */
  record Failure(Status.Code code, String message, String reason, Map<String, String> metadata, Integer httpMark) {
  }

  private final JsonFormat.Printer printer;
  private final Descriptor statusType;

  TranscoderOutput(GrpcJsonTranscoder transcoder) {
    ApiDescriptors descriptors = ApiDescriptors.packaged();
    this.statusType = descriptors.message("google.rpc.Status").orElseThrow(() ->
        new IllegalStateException("google.rpc.Status is not in the descriptor set: convert_grpc_status cannot print it"));
    this.printer = printer(transcoder.getPrintOptions(), descriptors);
  }

  /** The protobuf JSON printer configured like Envoy's transcoder (its PrintOptions map 1:1 onto JsonPrintOptions). */
  static JsonFormat.Printer printer(PrintOptions options, ApiDescriptors descriptors) {
    JsonFormat.Printer printer = JsonFormat.printer().usingTypeRegistry(descriptors.typeRegistry());
    if (options.getPreserveProtoFieldNames()) {
      printer = printer.preservingProtoFieldNames();
    }
    if (options.getAlwaysPrintPrimitiveFields()) {
      printer = printer.alwaysPrintFieldsWithNoPresence();
    }
    if (options.getAlwaysPrintEnumsAsInts()) {
      printer = printer.printingEnumsAsInts();
    }
    if (!options.getAddWhitespace()) {
      printer = printer.omittingInsignificantWhitespace();
    }
    return printer;
  }

  /** The JSON body the transcoder writes for {@code failure}. */
  byte[] body(Failure failure) {
    com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
        .setCode(failure.code().value()).setMessage(failure.message());
    if (failure.reason() != null) {
      status.addDetails(Any.pack(ErrorInfo.newBuilder().setReason(failure.reason()).setDomain("rendertrust.com")
          .putAllMetadata(failure.metadata()).build()));
    }
    return print(status.build()).getBytes(StandardCharsets.UTF_8);
  }

  String print(Message message) {
    try {
      // Re-read through the descriptor set's own types, as Envoy's type resolver sees them.
      Descriptor type = message.getDescriptorForType().getFullName().equals(statusType.getFullName())
          ? statusType : ApiDescriptors.packaged().message(message.getDescriptorForType().getFullName()).orElseThrow();
      return printer.print(DynamicMessage.parseFrom(type, message.toByteString()));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Headers and body the Lua filter receives. */
  List<LuaFilter.Header> headers(Failure failure, boolean trailersOnly, byte[] body) {
    List<LuaFilter.Header> headers = new ArrayList<>();
    headers.add(new LuaFilter.Header(":status", Integer.toString(ENVOY_HTTP_STATUS.get(failure.code()))));
    headers.add(new LuaFilter.Header("content-type", "application/json"));
    headers.add(new LuaFilter.Header("content-length", Integer.toString(body.length)));
    if (trailersOnly && failure.httpMark() != null) {
      headers.add(new LuaFilter.Header("x-http-status", failure.httpMark().toString()));
    }
    return headers;
  }
}
