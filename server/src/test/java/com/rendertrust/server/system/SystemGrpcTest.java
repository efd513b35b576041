package com.rendertrust.server.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.HealthRequest;
import com.rendertrust.api.v1.ReadyRequest;
import com.rendertrust.api.v1.ReadyResponse;
import com.rendertrust.api.v1.SystemServiceGrpc;
import com.rendertrust.api.v1.VersionRequest;
import com.rendertrust.server.testing.TestServer;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real composition root over an in-process gRPC transport. */
class SystemGrpcTest {

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void systemRpcsAnswer() {
    SystemServiceGrpc.SystemServiceBlockingStub system = SystemServiceGrpc.newBlockingStub(server.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThat(system.health(HealthRequest.getDefaultInstance()).getStatus()).isEqualTo("healthy");
    ReadyResponse ready = system.ready(ReadyRequest.getDefaultInstance());
    assertThat(ready.getStatus()).isEqualTo("ready");
    assertThat(ready.getChecksMap()).containsEntry("database", "connected").containsEntry("redis", "connected");
    assertThat(system.version(VersionRequest.getDefaultInstance()).getName()).isEqualTo("rendertrust");
  }

  @Test
  void grpcHealthServiceReportsServing() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(server.channel());
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("rendertrust.v1.SystemService").build())
        .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void reflectionListsEveryPublicService() throws Exception {
    CompletableFuture<List<String>> names = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(server.channel())
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse response) {
            names.complete(response.getListServicesResponse().getServiceList().stream()
                .map(service -> service.getName()).toList());
          }

          @Override
          public void onError(Throwable t) {
            names.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
          }
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    assertThat(names.get(10, TimeUnit.SECONDS)).contains(
        "rendertrust.v1.SystemService", "rendertrust.v1.AuthService", "rendertrust.v1.CreditService",
        "rendertrust.v1.JobService", "rendertrust.v1.NodeService", "rendertrust.v1.LedgerService",
        "rendertrust.v1.WebhookService", "grpc.health.v1.Health");
  }
}
