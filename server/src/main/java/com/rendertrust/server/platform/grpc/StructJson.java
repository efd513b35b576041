package com.rendertrust.server.platform.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.Map;

/** JSON objects carried as {@code google.protobuf.Struct}, in and out: the one place that converts them. */
public final class StructJson {

  /** Compact, with keys sorted: the same object always prints the same (payloads are hashed and compared). */
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace().sortingMapKeys();

  private StructJson() {
  }

  /**
   * {@code struct} as a JSON object. A Struct JSON cannot carry (a NaN or infinite number) is the
   * caller's bad input: {@code reason}, naming {@code field}.
   */
  public static String print(Struct struct, Reason reason, String field) {
    try {
      return PRINTER.print(struct);
    } catch (InvalidProtocolBufferException e) {
      throw new DomainException(reason, field + " must be a JSON object", Map.of("field", field));
    }
  }

  /** A stored JSON object as a Struct; throws IllegalStateException when it is not one. */
  public static Struct parse(String json) {
    Struct.Builder builder = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, builder);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored JSON is not an object", e);
    }
    return builder.build();
  }
}
