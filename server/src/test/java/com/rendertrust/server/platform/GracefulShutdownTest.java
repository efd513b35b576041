package com.rendertrust.server.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.api.v1.HealthRequest;
import com.rendertrust.api.v1.HealthResponse;
import com.rendertrust.api.v1.SystemServiceGrpc;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.http.HttpEdge;
import com.rendertrust.server.system.HealthService;
import com.rendertrust.server.testing.TestAccessControl;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stopping a replica lets in-flight calls finish and refuses new ones. */
class GracefulShutdownTest {

  /** A call that is still running when the stop begins. */
  static final class SlowSystem extends SystemServiceGrpc.SystemServiceImplBase {
    final CountDownLatch started = new CountDownLatch(1);

    @Override
    public void health(HealthRequest request, StreamObserver<HealthResponse> responses) {
      started.countDown();
      try {
        Thread.sleep(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      responses.onNext(HealthResponse.newBuilder().setStatus("healthy").build());
      responses.onCompleted();
    }
  }

  @Test
  void inFlightCallsDrainBeforeTheEdgeStops() throws Exception {
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    SlowSystem slow = new SlowSystem();
    HttpEdge edge = HttpEdge.start(new HttpEdge.Settings(0, 1 << 20, Duration.ofSeconds(10), Duration.ofSeconds(5),
        Set.of()), ControlPlane.pipeline(metrics, TestAccessControl.realPoliciesNoCredentials())
            .wrapAll(List.of(slow)), metrics);
    URI uri = URI.create("http://127.0.0.1:" + edge.port() + "/health");
    HttpClient http = HttpClient.newHttpClient();

    CompletableFuture<HttpResponse<String>> inFlight =
        http.sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(slow.started.await(5, TimeUnit.SECONDS)).isTrue();
    edge.close();

    HttpResponse<String> response = inFlight.get(5, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("healthy");
    assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
  }

  @Test
  void livenessFailsOnceDrainingStarts() {
    HealthService health = new HealthService(Map.of("always", () -> true));
    health.requireLive();
    health.startDraining();
    assertThatThrownBy(health::requireLive).isInstanceOf(DomainException.class);
  }
}
