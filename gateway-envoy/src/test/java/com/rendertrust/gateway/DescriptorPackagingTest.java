package com.rendertrust.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gateway artifact carries the descriptor set its transcoder loads, built from the same contracts. */
class DescriptorPackagingTest {

  @Test
  void descriptorSetWithImportsIsPackagedForEnvoy() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/envoy/descriptors/rendertrust-api.pb")) {
      assertThat(in).as("envoy/descriptors/rendertrust-api.pb in the gateway jar").isNotNull();
      FileDescriptorSet set = FileDescriptorSet.parseFrom(in);
      List<String> files = set.getFileList().stream().map(FileDescriptorProto::getName).toList();
      assertThat(files).contains("google/api/annotations.proto", "google/api/http.proto",
          "google/api/httpbody.proto", "rendertrust/v1/auth_service.proto", "rendertrust/v1/node_service.proto",
          // convert_grpc_status prints google.rpc.Status and the ErrorInfo packed in its details
          "google/rpc/status.proto", "google/rpc/error_details.proto");
      List<String> services = set.getFileList().stream()
          .filter(file -> file.getPackage().equals("rendertrust.v1"))
          .flatMap(file -> file.getServiceList().stream())
          .map(service -> "rendertrust.v1." + service.getName())
          .toList();
      assertThat(services).containsExactlyInAnyOrder(
          "rendertrust.v1.SystemService", "rendertrust.v1.AuthService", "rendertrust.v1.CreditService",
          "rendertrust.v1.JobService", "rendertrust.v1.NodeService", "rendertrust.v1.LedgerService",
          "rendertrust.v1.WebhookService", "rendertrust.v1.UploadService", "rendertrust.v1.WalletService",
          "rendertrust.v1.DepositService", "rendertrust.v1.PayoutService", "rendertrust.v1.JobPricingService",
          "rendertrust.v1.WebhookEndpointService", "rendertrust.v1.OperatorService", "rendertrust.v1.AdminService");
    }
  }
}
