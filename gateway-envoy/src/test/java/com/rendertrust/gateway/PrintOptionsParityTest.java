package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The transcoder's print options, applied by protobuf's JSON printer (the Java twin of the C++
 * JsonPrintOptions Envoy fills from them), print the shared golden rest-edge/print-options.json;
 * the server's RestEdgeFixturesTest proves the in-process edge prints the same file.
 */
class PrintOptionsParityTest {

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (JsonNode testCase : RestEdgeFixtures.load("print-options.json")) {
      all.add(Arguments.of(testCase.get("name").asText(), testCase));
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void envoyPrintsTheSharedGolden(String name, JsonNode testCase) throws InvalidProtocolBufferException {
    GrpcJsonTranscoder transcoder = EnvoyConfig.httpFilter(EnvoyConfig.connectionManager(EnvoyConfig.packaged()),
        "envoy.filters.http.grpc_json_transcoder", GrpcJsonTranscoder.class);
    ApiDescriptors descriptors = ApiDescriptors.packaged();
    String rpc = testCase.get("rpc").asText();
    MethodDescriptor method = descriptors.service(rpc.substring(0, rpc.indexOf('/'))).orElseThrow()
        .findMethodByName(rpc.substring(rpc.indexOf('/') + 1));
    assertThat(ApiDescriptors.httpRule(method)).isPresent();
    assertThat(ApiDescriptors.httpRule(method).get().getResponseBody())
        .isEqualTo(testCase.get("response_body_field").asText());

    DynamicMessage.Builder response = DynamicMessage.newBuilder(method.getOutputType());
    JsonFormat.parser().merge(testCase.get("response").toString(), response);
    Message printed = response.build();
    String bodyField = testCase.get("response_body_field").asText();
    if (!bodyField.isEmpty()) {
      // response_body: the transcoder prints only that field of the response
      Descriptor type = method.getOutputType();
      printed = (Message) printed.getField(type.findFieldByName(bodyField));
    }
    String json = TranscoderOutput.printer(transcoder.getPrintOptions(), descriptors).print(printed);
    assertThat(RestEdgeFixtures.parse(json)).as(name).isEqualTo(testCase.get("json"));
  }
}
