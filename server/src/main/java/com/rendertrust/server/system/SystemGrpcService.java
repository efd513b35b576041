package com.rendertrust.server.system;

import com.rendertrust.api.v1.HealthRequest;
import com.rendertrust.api.v1.HealthResponse;
import com.rendertrust.api.v1.ReadyRequest;
import com.rendertrust.api.v1.ReadyResponse;
import com.rendertrust.api.v1.SystemServiceGrpc;
import com.rendertrust.api.v1.VersionRequest;
import com.rendertrust.api.v1.VersionResponse;
import io.grpc.stub.StreamObserver;

/** gRPC adapter for {@link HealthService} and {@link VersionInfo}. */
public final class SystemGrpcService extends SystemServiceGrpc.SystemServiceImplBase {

  private final HealthService health;
  private final VersionInfo version;

  public SystemGrpcService(HealthService health, VersionInfo version) {
    this.health = health;
    this.version = version;
  }

  @Override
  public void health(HealthRequest request, StreamObserver<HealthResponse> responses) {
    health.requireLive();
    responses.onNext(HealthResponse.newBuilder().setStatus("healthy").build());
    responses.onCompleted();
  }

  @Override
  public void ready(ReadyRequest request, StreamObserver<ReadyResponse> responses) {
    Readiness readiness = health.readiness();
    ReadyResponse.Builder response = ReadyResponse.newBuilder()
        .setStatus(readiness.ready() ? "ready" : "degraded");
    readiness.checks().forEach((name, up) -> response.putChecks(name, up ? "connected" : "unavailable"));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void version(VersionRequest request, StreamObserver<VersionResponse> responses) {
    responses.onNext(VersionResponse.newBuilder()
        .setName(version.name())
        .setVersion(version.version())
        .setEnvironment(version.environment())
        .build());
    responses.onCompleted();
  }
}
