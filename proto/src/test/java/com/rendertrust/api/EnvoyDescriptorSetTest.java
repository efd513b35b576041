package com.rendertrust.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The descriptor set Envoy's transcoder loads resolves every type its {@code convert_grpc_status}
 * prints (google.rpc.Status and the ErrorInfo packed in its details), while this module's jar
 * still generates Java for rendertrust.v1 only.
 */
class EnvoyDescriptorSetTest {

  @Test
  void descriptorSetHoldsStatusAndErrorDetailsAndBuildsAsOnePool() throws Exception {
    FileDescriptorSet set = descriptorSet();
    List<String> files = set.getFileList().stream().map(FileDescriptorProto::getName).toList();
    assertThat(files).contains("google/rpc/status.proto", "google/rpc/error_details.proto",
        "google/protobuf/any.proto", "google/api/annotations.proto", "rendertrust/v1/error_reason.proto");
    assertThat(files).doesNotHaveDuplicates();

    Map<String, FileDescriptor> pool = buildPool(set);
    Descriptor status = pool.get("google/rpc/status.proto").findMessageTypeByName("Status");
    assertThat(status.findFieldByName("details").getMessageType().getFullName()).isEqualTo("google.protobuf.Any");
    assertThat(pool.get("google/rpc/error_details.proto").findMessageTypeByName("ErrorInfo")).isNotNull();
  }

  @Test
  void onlyTheStatusFilesAreAddedBeyondWhatTheContractsImport() throws IOException {
    List<String> googleRpc = descriptorSet().getFileList().stream().map(FileDescriptorProto::getName)
        .filter(name -> name.startsWith("google/rpc/")).sorted().toList();
    assertThat(googleRpc).containsExactly("google/rpc/error_details.proto", "google/rpc/status.proto");
  }

  @Test
  void noGoogleClassesOrSourcesAreGeneratedIntoThisModule() throws IOException {
    Path classes = Path.of("target/classes");
    assertThat(classes.resolve("com/rendertrust/api/v1")).isDirectory();
    assertThat(classes.resolve("com/google")).doesNotExist();
    assertThat(classes.resolve("google")).doesNotExist();
    try (var generated = Files.walk(Path.of("target/generated-sources"))) {
      assertThat(generated.filter(path -> path.toString().contains("com/google/rpc")).toList()).isEmpty();
    }
    // The classes the server and SDK use for google.rpc come from proto-google-common-protos.
    assertThat(com.google.rpc.Status.class.getProtectionDomain().getCodeSource().getLocation().toString())
        .contains("proto-google-common-protos");
  }

  static FileDescriptorSet descriptorSet() throws IOException {
    try (InputStream in = EnvoyDescriptorSetTest.class.getResourceAsStream("/descriptors/rendertrust-api.pb")) {
      assertThat(in).as("descriptor set built by this module").isNotNull();
      return FileDescriptorSet.parseFrom(in);
    }
  }

  private static Map<String, FileDescriptor> buildPool(FileDescriptorSet set) throws DescriptorValidationException {
    Map<String, FileDescriptorProto> byName = new HashMap<>();
    set.getFileList().forEach(file -> byName.put(file.getName(), file));
    Map<String, FileDescriptor> built = new HashMap<>();
    for (FileDescriptorProto file : set.getFileList()) {
      build(file.getName(), byName, built);
    }
    return built;
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> byName,
      Map<String, FileDescriptor> built) throws DescriptorValidationException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = byName.get(name);
    assertThat(proto).as("%s is imported but missing from the set", name).isNotNull();
    FileDescriptor[] dependencies = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < dependencies.length; i++) {
      dependencies[i] = build(proto.getDependency(i), byName, built);
    }
    FileDescriptor file = FileDescriptor.buildFrom(proto, dependencies);
    built.put(name, file);
    return file;
  }
}
