package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** render-envoy-config.sh turns the packaged envoy.yaml into a deployment's config that is still valid. */
class RenderScriptTest {

  private static final Path SCRIPT = Path.of("src/main/envoy/render-envoy-config.sh");
  private static final Path CONFIG = Path.of("src/main/envoy/envoy.yaml");

  record Result(int exitCode, String stdout, String stderr) {
  }

  @Test
  void withoutSettingsTheConfigIsUnchanged() throws Exception {
    Result result = render(Map.of());
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(EnvoyConfig.parse(result.stdout())).isEqualTo(EnvoyConfig.packaged());
  }

  @Test
  void upstreamsBecomeOneEndpointEach() throws Exception {
    Result result = render(Map.of("RT_GATEWAY_UPSTREAMS", "10.0.0.5:8000, server-b.internal:9000,server-c:8000"));
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    Bootstrap bootstrap = EnvoyConfig.parse(result.stdout());
    assertThat(ValidateRules.violations(bootstrap)).isEmpty();
    Cluster server = bootstrap.getStaticResources().getClusters(0);
    List<String> endpoints = new ArrayList<>();
    server.getLoadAssignment().getEndpoints(0).getLbEndpointsList().forEach(endpoint -> endpoints.add(
        endpoint.getEndpoint().getAddress().getSocketAddress().getAddress() + ":"
            + endpoint.getEndpoint().getAddress().getSocketAddress().getPortValue()));
    assertThat(endpoints).containsExactly("10.0.0.5:8000", "server-b.internal:9000", "server-c:8000");
    assertThat(server.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
  }

  @Test
  void tlsCanBeLeftToALoadBalancerInFront() throws Exception {
    Result result = render(Map.of("RT_GATEWAY_TLS", "off"));
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    Bootstrap bootstrap = EnvoyConfig.parse(result.stdout());
    assertThat(bootstrap.getStaticResources().getListenersList()).extracting(Listener::getName).containsExactly("http");
    assertThat(ValidateRules.violations(bootstrap)).isEmpty();
  }

  @Test
  void installedFilesCanLiveElsewhere() throws Exception {
    Result result = render(Map.of("RT_GATEWAY_CONFIG_DIR", "/opt/rendertrust/envoy/"));
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    Bootstrap bootstrap = EnvoyConfig.parse(result.stdout());
    HttpConnectionManager manager = EnvoyConfig.connectionManager(bootstrap);
    assertThat(EnvoyConfig.httpFilter(manager, "envoy.filters.http.grpc_json_transcoder", GrpcJsonTranscoder.class)
        .getProtoDescriptor()).isEqualTo("/opt/rendertrust/envoy/descriptors/rendertrust-api.pb");
    assertThat(EnvoyConfig.httpFilter(manager, "envoy.filters.http.lua", Lua.class).getDefaultSourceCode().getFilename())
        .isEqualTo("/opt/rendertrust/envoy/lua/rest_status.lua");
    DownstreamTlsContext tls = EnvoyConfig.unpack(EnvoyConfig.listener(bootstrap, "https").getFilterChains(0)
        .getTransportSocket().getTypedConfig(), DownstreamTlsContext.class);
    assertThat(tls.getCommonTlsContext().getTlsCertificates(0).getPrivateKey().getFilename())
        .isEqualTo("/opt/rendertrust/envoy/tls/tls.key");
    assertThat(result.stdout()).doesNotContain("/etc/envoy/");
  }

  @Test
  void corsOriginsComeFromRtCorsOriginsAsTheServerReadsThem() throws Exception {
    Result result = render(Map.of("RT_CORS_ORIGINS", "https://App.example.com/, http://localhost:5173"));
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    Bootstrap bootstrap = EnvoyConfig.parse(result.stdout());
    assertThat(ValidateRules.violations(bootstrap)).isEmpty();
    CorsPolicy cors = EnvoyConfig.unpack(EnvoyConfig.connectionManager(bootstrap).getRouteConfig().getVirtualHosts(0)
        .getTypedPerFilterConfigOrThrow("envoy.filters.http.cors"), CorsPolicy.class);
    assertThat(cors.getAllowOriginStringMatchList()).extracting(match -> match.getExact())
        .containsExactly("https://app.example.com", "http://localhost:5173");
  }

  @Test
  void badSettingsAreRefusedWithoutOutput() throws Exception {
    for (Map<String, String> bad : List.of(
        Map.of("RT_GATEWAY_UPSTREAMS", "server-without-port"),
        Map.of("RT_GATEWAY_UPSTREAMS", "server:70000"),
        Map.of("RT_GATEWAY_UPSTREAMS", "server:8000,evil host:1"),
        Map.of("RT_GATEWAY_TLS", "maybe"),
        Map.of("RT_GATEWAY_CONFIG_DIR", "relative/dir"),
        Map.of("RT_CORS_ORIGINS", "*"),
        Map.of("RT_CORS_ORIGINS", "https://ok.example,app.example.com"))) {
      Result result = render(bad);
      assertThat(result.exitCode()).as(bad.toString()).isEqualTo(2);
      assertThat(result.stdout()).isEmpty();
      assertThat(result.stderr()).startsWith("render-envoy-config:");
    }
  }

  private static Result render(Map<String, String> environment) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString(), CONFIG.toString());
    builder.environment().keySet().removeIf(name -> name.startsWith("RT_GATEWAY_") || name.equals("RT_CORS_ORIGINS"));
    builder.environment().putAll(environment);
    Process process = builder.start();
    process.getOutputStream().close();
    byte[] out = process.getInputStream().readAllBytes();
    byte[] err = process.getErrorStream().readAllBytes();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }
}
