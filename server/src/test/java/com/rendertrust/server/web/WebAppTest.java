package com.rendertrust.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.server.HttpService;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.SystemServiceGrpc;
import com.rendertrust.server.platform.http.HttpEdge;
import com.rendertrust.server.platform.http.PlainRoute;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The web app's routes on a real edge (a bundle fixture, services that answer UNIMPLEMENTED): the
 * app's paths answer index.html (revalidated), hashed assets are immutable for a year, a missing
 * file is a 404 and never the page, and every reserved path answers exactly as on an edge without
 * the app (the fallback shadows nothing).
 */
class WebAppTest {

  private static final WebApp APP = WebApp.fromClasspath(WebAppTest.class.getClassLoader(), "web-fixture");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static HttpEdge withApp;
  private static HttpEdge withoutApp;

  @BeforeAll
  static void start() {
    withApp = edge(Optional.of(APP.fallbackRoute()));
    withoutApp = edge(Optional.empty());
  }

  @AfterAll
  static void stop() {
    withApp.close();
    withoutApp.close();
  }

  @Test
  void theAppsPathsAnswerIndexHtmlRevalidatedEveryTime() throws Exception {
    for (String path : List.of("/", "/index.html", "/jobs", "/jobs/5f0c2d1e", "/checkout/success?session_id=cs_1",
        "/checkout/cancel", "/credits")) {
      HttpResponse<String> response = get(withApp, path);
      assertThat(response.statusCode()).as(path).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).as(path).hasValue("text/html; charset=utf-8");
      assertThat(response.headers().firstValue("cache-control")).as(path).hasValue("no-cache");
      assertThat(response.headers().firstValue("content-security-policy")).as(path).get().asString()
          .contains("script-src 'self'", "frame-ancestors 'none'");
      assertThat(response.headers().firstValue("x-content-type-options")).hasValue("nosniff");
      assertThat(response.body()).as(path).contains("<div id=\"app\"></div>");
    }
  }

  @Test
  void hashedAssetsAreImmutableForAYearWithTheirContentType() throws Exception {
    HttpResponse<String> script = get(withApp, "/assets/index-0a1b2c3d.js");
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.headers().firstValue("content-type")).hasValue("text/javascript; charset=utf-8");
    assertThat(script.headers().firstValue("cache-control")).hasValue("public, max-age=31536000, immutable");
    assertThat(script.body()).isEqualTo("console.log(\"app\");\n");
    HttpResponse<String> style = get(withApp, "/assets/index-4e5f6a7b.css");
    assertThat(style.headers().firstValue("content-type")).hasValue("text/css; charset=utf-8");
  }

  @Test
  void aKnownVersionAnswersNotModified() throws Exception {
    String etag = get(withApp, "/assets/index-0a1b2c3d.js").headers().firstValue("etag").orElseThrow();
    HttpResponse<String> again = HTTP.send(HttpRequest.newBuilder(uri(withApp, "/assets/index-0a1b2c3d.js"))
        .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/assets/index-00000000.js", "/assets/", "/favicon.ico", "/robots.txt", "/jobs/report.pdf"})
  void aMissingFileIsNotFoundNeverThePage(String path) throws Exception {
    HttpResponse<String> response = get(withApp, path);
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).doesNotContain("<div id=\"app\">").contains("\"detail\"");
  }

  @Test
  void onlyGetAndHeadAreServed() throws Exception {
    // without a body: the server may answer 405 and reset the stream before it reads one, and the
    // JDK client then fails the exchange (RST_STREAM before the request body was sent) instead of
    // returning the answer
    HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(uri(withApp, "/jobs"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    HttpResponse<String> head = HTTP.send(HttpRequest.newBuilder(uri(withApp, "/jobs"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/v1/no-such-thing", "/api/v1/jobs/dispatch", "/api", "/health", "/health/x",
      "/metrics", "/docs", "/docs/x.css", "/openapi.json", "/archives/abc", "/blobs/abc", "/.well-known/jwks.json",
      "/rendertrust.v1.JobService/GetJob", "/rendertrust.v1.SystemService/Nope"})
  void reservedPathsAnswerAsWithoutTheApp(String path) throws Exception {
    HttpResponse<String> with = get(withApp, path);
    HttpResponse<String> without = get(withoutApp, path);
    assertThat(with.statusCode()).as("status of GET %s", path).isEqualTo(without.statusCode());
    assertThat(with.headers().firstValue("content-type")).as("content type of GET %s", path)
        .isEqualTo(without.headers().firstValue("content-type"));
    assertThat(with.body()).as(path).doesNotContain("<div id=\"app\">");
  }

  @Test
  void withoutABundleEveryAppPathExplainsHowToBuildIt() {
    WebApp missing = WebApp.fromClasspath(WebAppTest.class.getClassLoader(), "no-such-bundle");
    assertThat(missing.built()).isFalse();
    assertThat(new String(missing.resolve("/jobs").orElseThrow().bytes(), java.nio.charset.StandardCharsets.UTF_8))
        .contains("-Drt.web.skip");
    assertThat(APP.built()).isTrue();
  }

  private static HttpEdge edge(Optional<com.rendertrust.server.platform.http.FallbackRoute> fallback) {
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpService archive = (ctx, req) -> com.linecorp.armeria.common.HttpResponse.of("archive");
    return HttpEdge.start(new HttpEdge.Settings(0, 1 << 20, Duration.ofSeconds(10), Duration.ofSeconds(1), Set.of(),
            Set.of(), List.of(new HttpEdge.Route("/archives/", archive, 1024, Duration.ofSeconds(10)))),
        List.of(unimplemented(SystemServiceGrpc.getServiceDescriptor()), unimplemented(JobServiceGrpc.getServiceDescriptor())),
        metrics, List.of(PlainRoute.jsonDocument("/openapi.json", Duration.ofMinutes(1), () -> "{}")), fallback);
  }

  private static ServerServiceDefinition unimplemented(ServiceDescriptor service) {
    ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(service);
    for (io.grpc.MethodDescriptor<?, ?> method : service.getMethods()) {
      add(definition, method);
    }
    return definition.build();
  }

  private static <Q, R> void add(ServerServiceDefinition.Builder definition, io.grpc.MethodDescriptor<Q, R> method) {
    definition.addMethod(method, ServerCalls.asyncBidiStreamingCall(responses -> {
      responses.onError(Status.UNIMPLEMENTED.asRuntimeException());
      return new io.grpc.stub.StreamObserver<Q>() {
        @Override public void onNext(Q value) { }
        @Override public void onError(Throwable t) { }
        @Override public void onCompleted() { }
      };
    }));
  }

  private static HttpResponse<String> get(HttpEdge edge, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri(edge, path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(HttpEdge edge, String path) {
    return URI.create("http://127.0.0.1:" + edge.port() + path);
  }
}
