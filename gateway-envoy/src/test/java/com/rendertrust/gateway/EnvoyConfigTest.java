package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * envoy.yaml is a valid v3 Bootstrap by Envoy's own protos: names, types, every typed_config's
 * {@code @type}, and the protoc-gen-validate rules Envoy checks at load time; and the checks
 * themselves are strict enough to catch a typo, a wrong type or a missing required value.
 */
class EnvoyConfigTest {

  @Test
  void packagedConfigParsesIntoBootstrapAndMeetsEnvoysValidationRules() {
    Bootstrap bootstrap = EnvoyConfig.packaged();
    assertThat(bootstrap.getStaticResources().getListenersList()).extracting(Listener::getName)
        .containsExactly("http", "https");
    assertThat(ValidateRules.violations(bootstrap)).isEmpty();
  }

  @Test
  void aMisspelledFieldFails() {
    String yaml = EnvoyConfig.packagedYaml().replace("convert_grpc_status: true", "convert_grpc_statuz: true");
    assertThatThrownBy(() -> EnvoyConfig.parse(yaml)).hasMessageContaining("convert_grpc_statuz");
  }

  @Test
  void aValueOfTheWrongTypeFails() {
    String yaml = EnvoyConfig.packagedYaml().replace("max_request_bytes: 1048576", "max_request_bytes: lots");
    assertThatThrownBy(() -> EnvoyConfig.parse(yaml)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFieldOfAnotherFilterTypeFails() {
    // The transcoder's options placed under the Lua filter's @type: only a typed registry sees it.
    String yaml = EnvoyConfig.packagedYaml().replace("stat_prefix: rest_status", "convert_grpc_status: true");
    assertThatThrownBy(() -> EnvoyConfig.parse(yaml)).hasMessageContaining("convert_grpc_status");
  }

  @Test
  void aMissingRequiredValueIsReported() {
    String yaml = EnvoyConfig.packagedYaml()
        .replace("value: {default_value: 404, runtime_key: rendertrust.local_reply.not_found}", "value: {default_value: 404}");
    assertThat(ValidateRules.violations(EnvoyConfig.parse(yaml)))
        .anySatisfy(violation -> assertThat(violation).contains("runtime_key").contains("at least 1"));
  }

  @Test
  void anOutOfRangeValueIsReported() {
    String yaml = EnvoyConfig.packagedYaml().replace("stat_prefix: edge_rate_limit", "stat_prefix: \"\"");
    assertThat(ValidateRules.violations(EnvoyConfig.parse(yaml)))
        .anySatisfy(violation -> assertThat(violation).contains("stat_prefix"));
  }

  @Test
  void theTlsListenerServesTheSameConnectionManagerOverTls() {
    Bootstrap bootstrap = EnvoyConfig.packaged();
    Listener https = EnvoyConfig.listener(bootstrap, "https");
    DownstreamTlsContext tls = EnvoyConfig.unpack(https.getFilterChains(0).getTransportSocket().getTypedConfig(),
        DownstreamTlsContext.class);
    assertThat(tls.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
    assertThat(tls.getCommonTlsContext().getTlsCertificates(0).getCertificateChain().getFilename())
        .isEqualTo("/etc/envoy/tls/tls.crt");
    HttpConnectionManager plain = EnvoyConfig.connectionManager(bootstrap);
    assertThat(EnvoyConfig.connectionManager(https)).isEqualTo(plain);
  }

  @Test
  void adminListensOnLoopbackOnly() {
    SocketAddress admin = EnvoyConfig.packaged().getAdmin().getAddress().getSocketAddress();
    assertThat(admin.getAddress()).isEqualTo("127.0.0.1");
    for (Listener listener : EnvoyConfig.packaged().getStaticResources().getListenersList()) {
      assertThat(listener.getAddress().getSocketAddress().getPortValue()).isNotEqualTo(admin.getPortValue());
    }
  }

  @Test
  void everyFileTheConfigReadsIsPackagedWhereItPointsTo() throws IOException {
    HttpConnectionManager manager = EnvoyConfig.connectionManager(EnvoyConfig.packaged());
    String descriptor = EnvoyConfig.httpFilter(manager, "envoy.filters.http.grpc_json_transcoder",
        GrpcJsonTranscoder.class).getProtoDescriptor();
    String lua = EnvoyConfig.httpFilter(manager, "envoy.filters.http.lua", Lua.class)
        .getDefaultSourceCode().getFilename();
    for (String file : new String[] {descriptor, lua}) {
      try (InputStream in = EnvoyConfig.installedFile(file)) {
        assertThat(in).as("%s in the gateway jar", file).isNotNull();
        assertThat(in.readAllBytes()).isNotEmpty();
      }
    }
    assertThat(EnvoyConfig.resource("/envoy/lua/rest_status.lua"))
        .as("the packaged Lua is the source file").isEqualTo(java.nio.file.Files.readString(
            java.nio.file.Path.of("src/main/lua/rest_status.lua")));
  }
}
