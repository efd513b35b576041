package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.gateway.LuaFilter.Header;
import com.rendertrust.gateway.LuaFilter.Response;
import com.rendertrust.gateway.TranscoderOutput.Failure;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * rest_status.lua, run on a Lua interpreter behind a fake Envoy handle, turns what the
 * transcoder produces (configured as in envoy.yaml) into exactly the REST response the server's
 * in-process edge gives for the same gRPC outcome: the shared rest-edge fixtures are the cases.
 */
class RestStatusLuaTest {

  private static final Path LUA_SOURCE = Path.of("src/main/lua/rest_status.lua");
  private static final String BEGIN_TABLE = "-- BEGIN GENERATED REASON TABLE";
  private static final String END_TABLE = "-- END GENERATED REASON TABLE";

  private static LuaFilter lua;
  private static TranscoderOutput transcoder;
  private static TranscoderOutput prettyTranscoder;
  private static JsonNode reasons;

  @BeforeAll
  static void load() {
    lua = new LuaFilter();
    GrpcJsonTranscoder configured = EnvoyConfig.httpFilter(EnvoyConfig.connectionManager(EnvoyConfig.packaged()),
        "envoy.filters.http.grpc_json_transcoder", GrpcJsonTranscoder.class);
    transcoder = new TranscoderOutput(configured);
    GrpcJsonTranscoder pretty = configured.toBuilder()
        .setPrintOptions(configured.getPrintOptions().toBuilder().setAddWhitespace(true)).build();
    prettyTranscoder = new TranscoderOutput(pretty);
    reasons = RestEdgeFixtures.load("reasons.json");
  }

  // ---- the reason table: one source (the shared fixture, which the server checks against Reason) ----

  @Test
  void reasonTableIsTheOneRenderedFromTheSharedFixture() throws IOException {
    StringBuilder rendered = new StringBuilder("local HTTP_STATUS_BY_REASON = {\n");
    reasons.properties().forEach(entry ->
        rendered.append("  ").append(entry.getKey()).append(" = ").append(entry.getValue().get("http_status").asInt()).append(",\n"));
    rendered.append("}\n");
    String source = Files.readString(LUA_SOURCE);
    int begin = source.indexOf('\n', source.indexOf(BEGIN_TABLE)) + 1;
    int end = source.indexOf(END_TABLE);
    assertThat(source.indexOf(BEGIN_TABLE)).as("generated table markers").isNotNegative();
    assertThat(source.substring(begin, end))
        .as("replace the block between the markers in %s with this rendering of rest-edge/reasons.json", LUA_SOURCE)
        .isEqualTo(rendered.toString());
  }

  @Test
  void sourceUsesOnlyWhatLuaJitSupports() throws IOException {
    String code = withoutCommentsAndStrings(Files.readString(LUA_SOURCE));
    assertThat(code).doesNotContainPattern("\\bgoto\\b").doesNotContain("::").doesNotContain("//")
        .doesNotContain("<<").doesNotContain(">>").doesNotContainPattern("[&|]").doesNotContainPattern("~(?!=)")
        .doesNotContainPattern("\\butf8\\.|\\bbit32\\.|table\\.unpack|table\\.pack|string\\.pack");
    assertThat(Files.readString(LUA_SOURCE)).doesNotContain("\t");
  }

  // ---- errors ----------------------------------------------------------------------------------

  static Stream<Arguments> reasons() {
    List<Arguments> all = new ArrayList<>();
    RestEdgeFixtures.load("reasons.json").properties().forEach(entry -> all.add(Arguments.of(entry.getKey())));
    return all.stream();
  }

  @ParameterizedTest
  @MethodSource("reasons")
  void everyReasonAnswersItsDocumentedStatusWithTheServersMessage(String reason) {
    JsonNode row = reasons.get(reason);
    int expected = row.get("http_status").asInt();
    Failure failure = new Failure(Status.Code.valueOf(row.get("grpc_code").asText()), "detail for " + reason,
        reason, Map.of(), expected);
    for (Variant variant : Variant.values()) {
      Response response = run(failure, variant);
      assertThat(response.status()).as("%s %s", reason, variant).isEqualTo(expected);
      assertContractBody(response, RestEdgeFixtures.parse("{\"detail\":\"detail for " + reason + "\"}"));
    }
  }

  static Stream<Arguments> errorCases() {
    List<Arguments> all = new ArrayList<>();
    for (JsonNode testCase : RestEdgeFixtures.load("error-cases.json")) {
      all.add(Arguments.of(testCase.get("name").asText(), testCase));
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("errorCases")
  void sharedErrorCaseAnswersLikeTheInProcessEdge(String name, JsonNode testCase) {
    JsonNode grpc = testCase.get("grpc");
    JsonNode rest = testCase.get("rest");
    String reason = grpc.has("reason") ? grpc.get("reason").asText() : null;
    Map<String, String> metadata = new LinkedHashMap<>();
    if (grpc.has("metadata")) {
      grpc.get("metadata").properties().forEach(entry -> metadata.put(entry.getKey(), entry.getValue().asText()));
    }
    // The server marks a failure with x-http-status exactly when it knows the reason.
    Integer mark = reason != null && reasons.has(reason) ? reasons.get(reason).get("http_status").asInt() : null;
    Failure failure = new Failure(Status.Code.valueOf(grpc.get("code").asText()), grpc.get("message").asText(),
        reason, metadata, mark);
    for (Variant variant : Variant.values()) {
      Response response = run(failure, variant);
      assertThat(response.status()).as("%s %s", name, variant).isEqualTo(rest.get("status").asInt());
      assertContractBody(response, rest.get("body"));
      rest.get("headers").properties().forEach(header ->
          assertThat(response.header(header.getKey())).as(header.getKey()).contains(header.getValue().asText()));
    }
  }

  @Test
  void aCreationThatFailsAnswersItsErrorNot201() {
    // The server had already sent its 201 mark in the response headers when the call failed.
    Failure failure = new Failure(Status.Code.ALREADY_EXISTS, "e-mail already registered", "EMAIL_TAKEN", Map.of(), null);
    byte[] body = transcoder.body(failure);
    List<Header> headers = new ArrayList<>(transcoder.headers(failure, false, body));
    headers.add(new Header("x-http-status", "201"));
    Response response = lua.onResponse(headers, body);
    assertThat(response.status()).isEqualTo(409);
    assertContractBody(response, RestEdgeFixtures.parse("{\"detail\":\"e-mail already registered\"}"));
  }

  @Test
  void anUnconvertedStatusFallsBackToGrpcHeadersAndTheServersMark() {
    // convert_grpc_status leaves a trailers-only error as it is when it cannot print the status.
    Response response = lua.onResponse(List.of(new Header(":status", "400"),
        new Header("content-type", "application/grpc"), new Header("grpc-status", "9"),
        new Header("grpc-message", "insufficient%20credits%3A%205.0000%20available"),
        new Header("grpc-status-details-bin", "CAkSGGluc3VmZmljaWVudA"), new Header("x-http-status", "402")), null);
    assertThat(response.status()).isEqualTo(402);
    assertContractBody(response, RestEdgeFixtures.parse("{\"detail\":\"insufficient credits: 5.0000 available\"}"));
    assertThat(response.header("grpc-status-details-bin")).isEmpty();
    assertThat(response.header("grpc-status")).isEmpty();
  }

  @Test
  void anUnconvertedStatusWithoutMarkUsesTheStandardTable() {
    Response response = lua.onResponse(List.of(new Header(":status", "501"),
        new Header("content-type", "application/grpc"), new Header("grpc-status", "12"),
        new Header("grpc-message", "Method not found")), null);
    assertThat(response.status()).isEqualTo(501);
    assertContractBody(response, RestEdgeFixtures.parse("{\"detail\":\"not implemented yet\"}"));
  }

  @Test
  void envoysOwnJsonRepliesAreLeftAsTheyAre() {
    byte[] body = "{\"detail\":\"Jwt is expired\"}".getBytes(StandardCharsets.UTF_8);
    List<Header> headers = List.of(new Header(":status", "401"), new Header("content-type", "application/json"),
        new Header("content-length", Integer.toString(body.length)), new Header("www-authenticate", "Bearer realm=\"x\""));
    Response response = lua.onResponse(headers, body);
    assertThat(response.headers()).isEqualTo(headers);
    assertThat(response.body()).isEqualTo(body);
  }

  @Test
  void otherJsonErrorBodiesAreLeftAsTheyAreLikeTheInProcessEdge() {
    byte[] body = "{\"error\":\"something\"}".getBytes(StandardCharsets.UTF_8);
    Response response = lua.onResponse(List.of(new Header(":status", "418"),
        new Header("content-type", "application/json")), body);
    assertThat(response.status()).isEqualTo(418);
    assertThat(response.body()).isEqualTo(body);
  }

  @Test
  void nonJsonErrorBodiesBecomeDetail() {
    Response response = lua.onResponse(List.of(new Header(":status", "503"), new Header("content-type", "text/plain"),
        new Header("content-length", "19")), "upstream connect error".getBytes(StandardCharsets.UTF_8));
    assertThat(response.status()).isEqualTo(503);
    assertContractBody(response, RestEdgeFixtures.parse("{\"detail\":\"service unavailable\"}"));
  }

  @Test
  void errorsWithoutAnyBodyGetOne() {
    Response response = lua.onResponse(List.of(new Header(":status", "502")), null);
    assertThat(response.status()).isEqualTo(502);
    assertContractBody(response, RestEdgeFixtures.parse("{\"detail\":\"internal error\"}"));
  }

  // ---- successes -------------------------------------------------------------------------------

  static Stream<Arguments> creations() {
    List<Arguments> all = new ArrayList<>();
    RestEdgeFixtures.load("created.json").properties().forEach(entry ->
        all.add(Arguments.of(entry.getKey(), entry.getValue().asInt())));
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("creations")
  void creationsAnswerTheStatusTheServerMarked(String rpc, int status) {
    byte[] body = "{\"node_id\":\"n1\",\"challenge\":\"ab\",\"token\":\"t\",\"status\":\"REGISTERED\"}"
        .getBytes(StandardCharsets.UTF_8);
    Response response = lua.onResponse(List.of(new Header(":status", "200"),
        new Header("content-type", "application/json"), new Header("x-http-status", Integer.toString(status)),
        new Header("content-length", Integer.toString(body.length))), body);
    assertThat(response.status()).as(rpc).isEqualTo(status);
    assertThat(response.body()).isEqualTo(body);
    assertThat(response.header("x-http-status")).isEmpty();
    assertThat(response.header("content-length")).contains(Integer.toString(body.length));
  }

  @Test
  void unmarkedSuccessesStay200AndUntouched() {
    byte[] body = "{\"status\":\"healthy\"}".getBytes(StandardCharsets.UTF_8);
    List<Header> headers = List.of(new Header(":status", "200"), new Header("content-type", "application/json"));
    Response response = lua.onResponse(headers, body);
    assertThat(response.headers()).isEqualTo(headers);
    assertThat(response.body()).isEqualTo(body);
  }

  @Test
  void nativeGrpcResponsesAreNeverTouched() {
    // gRPC clients must keep HTTP 200 and their trailers; the server's marks are theirs to see.
    List<Header> success = List.of(new Header(":status", "200"), new Header("content-type", "application/grpc"),
        new Header("x-http-status", "201"));
    assertThat(lua.onResponse(success, new byte[] {0, 0, 0, 0, 0}).headers()).isEqualTo(success);
    List<Header> trailersOnlyError = List.of(new Header(":status", "200"),
        new Header("content-type", "application/grpc+proto"), new Header("grpc-status", "9"),
        new Header("x-http-status", "402"));
    assertThat(lua.onResponse(trailersOnlyError, null).headers()).isEqualTo(trailersOnlyError);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** How the failure reaches the filter: trailers-only (compact JSON) or after a headers frame (pretty JSON). */
  enum Variant { TRAILERS_ONLY, AFTER_HEADERS_PRETTY_JSON }

  private static Response run(Failure failure, Variant variant) {
    TranscoderOutput output = variant == Variant.TRAILERS_ONLY ? transcoder : prettyTranscoder;
    byte[] body = output.body(failure);
    return lua.onResponse(output.headers(failure, variant == Variant.TRAILERS_ONLY, body), body);
  }

  private static void assertContractBody(Response response, JsonNode expected) {
    assertThat(response.header("content-type")).contains("application/json");
    assertThat(RestEdgeFixtures.parse(response.bodyText())).isEqualTo(expected);
    assertThat(response.header("content-length")).contains(Integer.toString(response.body().length));
    assertThat(response.header("x-http-status")).isEmpty();
  }

  private static String withoutCommentsAndStrings(String source) {
    Matcher matcher = Pattern.compile("--\\[(=*)\\[.*?]\\1]|--[^\\n]*|\\[(=*)\\[.*?]\\2]|\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'",
        Pattern.DOTALL).matcher(source);
    return matcher.replaceAll(" ");
  }
}
