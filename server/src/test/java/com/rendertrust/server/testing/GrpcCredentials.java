package com.rendertrust.server.testing;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/** Per-call credentials for gRPC stubs in tests: {@code stub.withCallCredentials(GrpcCredentials.bearer(token))}. */
public final class GrpcCredentials {

  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);

  private GrpcCredentials() {
  }

  /** {@code authorization: Bearer <token>} (an access or node JWT). */
  public static CallCredentials bearer(String token) {
    return header(AUTHORIZATION, "Bearer " + token);
  }

  /** {@code x-api-key: <key>}. */
  public static CallCredentials apiKey(String key) {
    return header(API_KEY, key);
  }

  /** Any single metadata entry, e.g. a malformed authorization value. */
  public static CallCredentials header(Metadata.Key<String> key, String value) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        Metadata metadata = new Metadata();
        metadata.put(key, value);
        applier.apply(metadata);
      }
    };
  }
}
