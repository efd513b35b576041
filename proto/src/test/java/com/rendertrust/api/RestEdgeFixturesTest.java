package com.rendertrust.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.rendertrust.api.v1.ErrorReason;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The REST edge fixtures (src/test/resources/rest-edge, shipped in this module's test-jar and run
 * by both REST edges) speak the contract's language: every ErrorReason, real gRPC codes, real RPCs.
 */
class RestEdgeFixturesTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void reasonsListEveryErrorReasonWithAnHttpStatusAndAGrpcCode() throws IOException {
    JsonNode reasons = fixture("reasons.json");
    Set<String> contract = Arrays.stream(ErrorReason.values())
        .filter(value -> value != ErrorReason.ERROR_REASON_UNSPECIFIED && value != ErrorReason.UNRECOGNIZED)
        .map(Enum::name).collect(Collectors.toCollection(TreeSet::new));
    Set<String> listed = new TreeSet<>();
    reasons.fieldNames().forEachRemaining(listed::add);
    assertThat(listed).isEqualTo(contract);
    reasons.properties().forEach(entry -> {
      assertThat(entry.getValue().get("http_status").asInt()).as(entry.getKey()).isBetween(400, 599);
      assertThat(Status.Code.valueOf(entry.getValue().get("grpc_code").asText())).as(entry.getKey())
          .isNotEqualTo(Status.Code.OK);
    });
  }

  @Test
  void errorCasesUseRealGrpcCodesAndHaveADetail() throws IOException {
    Set<String> names = new HashSet<>();
    for (JsonNode testCase : fixture("error-cases.json")) {
      assertThat(names.add(testCase.get("name").asText())).as("unique case names").isTrue();
      assertThat(Status.Code.valueOf(testCase.get("grpc").get("code").asText())).isNotEqualTo(Status.Code.OK);
      assertThat(testCase.get("rest").get("body").get("detail").isTextual()).isTrue();
    }
    assertThat(names).hasSizeGreaterThan(10);
  }

  @Test
  void createdAndPrintOptionsNameRpcsThatExist() throws IOException {
    Set<String> rpcs = new HashSet<>();
    for (FileDescriptorProto file : EnvoyDescriptorSetTest.descriptorSet().getFileList()) {
      for (ServiceDescriptorProto service : file.getServiceList()) {
        for (MethodDescriptorProto method : service.getMethodList()) {
          rpcs.add(file.getPackage() + "." + service.getName() + "/" + method.getName());
        }
      }
    }
    fixture("created.json").fieldNames().forEachRemaining(rpc -> assertThat(rpcs).contains(rpc));
    for (JsonNode testCase : fixture("print-options.json")) {
      assertThat(rpcs).contains(testCase.get("rpc").asText());
    }
  }

  private static JsonNode fixture(String name) throws IOException {
    try (InputStream in = RestEdgeFixturesTest.class.getResourceAsStream("/rest-edge/" + name)) {
      assertThat(in).as(name).isNotNull();
      return JSON.readTree(in);
    }
  }
}
