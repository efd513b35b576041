package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.rendertrust.gateway.RouteMatching.Request;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * jwt_authn requires a valid access JWT exactly where the contracts say a caller must be
 * authenticated: every RPC's comment declares its caller ("Caller: public" for the open ones),
 * and the rules are checked against that, for the REST bindings and the gRPC path alike.
 */
class JwtRulesTest {

  private static final String PROVIDER = "rendertrust";

  private static HttpConnectionManager manager;
  private static JwtAuthentication jwt;

  @BeforeAll
  static void load() {
    manager = EnvoyConfig.connectionManager(EnvoyConfig.packaged());
    jwt = EnvoyConfig.httpFilter(manager, "envoy.filters.http.jwt_authn", JwtAuthentication.class);
  }

  @Test
  void publicRpcsAreOpenAndEveryOtherRpcNeedsAnAccessJwtOrAnApiKey() {
    Set<String> open = new TreeSet<>();
    Set<String> guarded = new TreeSet<>();
    for (String serviceName : transcoderServices()) {
      for (MethodDescriptor method : ApiDescriptors.packaged().service(serviceName).orElseThrow().getMethods()) {
        String comment = ApiDescriptors.leadingComment(method);
        assertThat(comment).as("%s declares its caller", method.getFullName()).contains("Caller:");
        if (method.isClientStreaming() || method.isServerStreaming()) {
          continue; // the node stream: see theNodeStreamIsLeftToTheServer
        }
        boolean isPublic = comment.contains("Caller: public") || comment.contains("(public endpoint");
        List<Request> requests = new ArrayList<>();
        requests.add(Request.grpc("/" + serviceName + "/" + method.getName()));
        ApiDescriptors.httpRule(method).ifPresent(rule -> ApiDescriptors.bindings(rule).forEach(binding ->
            requests.add(Request.rest(binding.substring(binding.indexOf(' ') + 1).replaceAll("\\{[^}]+}", "0b9e6c1e")))));
        for (Request request : requests) {
          Optional<JwtRequirement> requirement = requirement(request);
          if (isPublic) {
            assertThat(requirement).as("public %s verifies no JWT", request.path()).isEmpty();
          } else {
            assertThat(requirement).as("%s needs an access JWT", request.path())
                .contains(JwtRequirement.newBuilder().setProviderName(PROVIDER).build());
            assertThat(requirement(request.with("x-api-key", "rtk_example"))).as("%s with an API key", request.path()).isEmpty();
          }
        }
        (isPublic ? open : guarded).add(method.getFullName());
      }
    }
    assertThat(open).contains("rendertrust.v1.AuthService.Login", "rendertrust.v1.AuthService.Register",
        "rendertrust.v1.AuthService.Refresh", "rendertrust.v1.NodeService.RegisterNode",
        "rendertrust.v1.WebhookService.StripeWebhook", "rendertrust.v1.SystemService.Health");
    assertThat(guarded).contains("rendertrust.v1.JobService.DispatchJob", "rendertrust.v1.CreditService.GetBalance",
        "rendertrust.v1.AuthService.Logout", "rendertrust.v1.NodeService.Heartbeat");
  }

  @Test
  void theNodeStreamIsLeftToTheServer() {
    assertThat(requirement(Request.grpc("/rendertrust.v1.NodeService/Connect"))).isEmpty();
  }

  @Test
  void plainEndpointsAndHealthChecksAreOpen() {
    for (String path : new String[] {"/metrics", "/.well-known/jwks.json", "/gateway/health", "/openapi.json",
        "/docs", "/docs/swagger-ui-bundle.js"}) {
      assertThat(requirement(Request.rest(path))).as(path).isEmpty();
    }
    assertThat(requirement(Request.grpc("/grpc.health.v1.Health/Check"))).isEmpty();
  }

  @Test
  void anythingNotListedNeedsAJwt() {
    assertThat(requirement(Request.rest("/api/v1/not-a-route"))).contains(JwtRequirement.newBuilder().setProviderName(PROVIDER).build());
    assertThat(requirement(Request.rest("/API/v1/auth/login"))).as("matching is case-sensitive and fails closed")
        .contains(JwtRequirement.newBuilder().setProviderName(PROVIDER).build());
    assertThat(manager.getNormalizePath().getValue()).as("dot segments cannot smuggle a path past the rules").isTrue();
    assertThat(manager.getMergeSlashes()).isTrue();
  }

  @Test
  void accessTokensAreCheckedAgainstTheServersPublishedKeys() {
    assertThat(jwt.getProvidersMap()).containsOnlyKeys(PROVIDER);
    JwtProvider provider = jwt.getProvidersOrThrow(PROVIDER);
    assertThat(provider.getRemoteJwks().getHttpUri().getCluster()).isEqualTo(RoutingTest.SERVER_CLUSTER);
    assertThat(URI.create(provider.getRemoteJwks().getHttpUri().getUri()).getPath()).isEqualTo("/.well-known/jwks.json");
    assertThat(provider.getFromHeadersList()).singleElement().satisfies(header -> {
      assertThat(header.getName()).isEqualToIgnoringCase("authorization");
      assertThat(header.getValuePrefix()).isEqualTo("Bearer ");
    });
    assertThat(provider.getFromParamsList()).as("tokens never travel in URLs").isEmpty();
    assertThat(provider.getForward()).as("the server verifies the token again and needs it").isTrue();
    assertThat(provider.getRequireExpiration()).isTrue();
    assertThat(jwt.getBypassCorsPreflight()).isTrue();
  }

  @Test
  void aVerifiedTokenMustBeAnAccessOrNodeToken() {
    RBAC rbac = EnvoyConfig.httpFilter(manager, "envoy.filters.http.rbac",
        io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class).getRules();
    assertThat(rbac.getAction()).isEqualTo(RBAC.Action.DENY);
    assertThat(rbac.getPoliciesMap()).hasSize(1);
    Principal principal = rbac.getPoliciesMap().values().iterator().next().getPrincipals(0);
    String payloadKey = jwt.getProvidersOrThrow(PROVIDER).getPayloadInMetadata();
    assertThat(payloadKey).isNotEmpty();

    List<Principal> conditions = principal.getAndIds().getIdsList();
    MetadataMatcher hasPayload = conditions.get(0).getSourcedMetadata().getMetadataMatcher();
    assertThat(hasPayload.getFilter()).isEqualTo("envoy.filters.http.jwt_authn");
    assertThat(hasPayload.getPath(0).getKey()).isEqualTo(payloadKey);
    assertThat(hasPayload.getValue().getPresentMatch()).isTrue();
    Set<String> allowed = new TreeSet<>();
    for (Principal tokenType : conditions.get(1).getNotId().getOrIds().getIdsList()) {
      MetadataMatcher matcher = tokenType.getSourcedMetadata().getMetadataMatcher();
      assertThat(matcher.getPathList()).extracting(MetadataMatcher.PathSegment::getKey).containsExactly(payloadKey, "token_type");
      allowed.add(matcher.getValue().getStringMatch().getExact());
    }
    assertThat(allowed).containsExactly("access", "node");
  }

  // ---- helpers -----------------------------------------------------------------------------------

  /** jwt_authn's decision for a request: the first matching rule's requirement (empty: not verified). */
  static Optional<JwtRequirement> requirement(Request request) {
    for (RequirementRule rule : jwt.getRulesList()) {
      if (RouteMatching.matches(rule.getMatch(), request)) {
        assertThat(rule.hasRequirementName()).as("requirement_map is not used").isFalse();
        return rule.hasRequires() ? Optional.of(rule.getRequires()) : Optional.empty();
      }
    }
    return Optional.empty(); // no rule matched: jwt_authn lets the request through unverified
  }

  private static List<String> transcoderServices() {
    return EnvoyConfig.httpFilter(manager, "envoy.filters.http.grpc_json_transcoder", GrpcJsonTranscoder.class)
        .getServicesList();
  }
}
