package com.rendertrust.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rendertrust.agent.AgentMain;
import com.rendertrust.agent.testing.AgentFixture;
import com.rendertrust.agent.testing.FakeControlPlane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegisterCommandTest {

  @TempDir Path home;
  private FakeControlPlane server;
  private AgentFixture agent;

  @BeforeEach
  void start() throws Exception {
    server = new FakeControlPlane();
    agent = new AgentFixture(home.resolve("agent"));
    agent.environment().put("RT_AGENT_BLENDER", "off");
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void registerWritesOwnerOnlyKeyAndIdentityAndProvesTheKey() throws Exception {
    int exit = agent.register(server, "echo,cpu_benchmark");

    assertThat(exit).as(agent.err()).isZero();
    Path dir = agent.configDir();
    assertThat(mode(dir.resolve("node_key.pem"))).isEqualTo("rw-------");
    assertThat(mode(dir.resolve("node.json"))).isEqualTo("rw-------");
    assertThat(mode(dir.resolve("node_key.pub.pem"))).isEqualTo("rw-r--r--");
    assertThat(mode(dir)).isEqualTo("rwx------");
    assertThat(Files.readString(dir.resolve("node_key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----\n");

    String publicKey = Files.readString(dir.resolve("node_key.pub.pem"));
    FakeControlPlane.FakeNode node = server.nodeByKey(publicKey).orElseThrow();
    // The fake verified the Ed25519 signature over the challenge with this very public key.
    assertThat(node.verified).isTrue();
    assertThat(node.proofsVerified.get()).isEqualTo(1);
    assertThat(node.name).isEqualTo("test-node");
    assertThat(node.capabilities).containsExactly("echo", "cpu_benchmark");
    assertThat(node.metadata.getFieldsMap()).containsKeys("cpu_cores", "os", "arch", "agent_version");
    assertThat(node.operatorBearer).isNull();

    JsonNode identity = new ObjectMapper().readTree(dir.resolve("node.json").toFile());
    assertThat(identity.path("node_id").asText()).isEqualTo(node.nodeId);
    assertThat(identity.path("server").asText()).isEqualTo(server.url());
    assertThat(identity.path("token").asText()).contains(".");
    assertThat(identity.path("token_expires_at").asText()).isNotEmpty();
    assertThat(agent.out()).contains("registered node " + node.nodeId).contains("key proven");
  }

  @Test
  void reRegisteringKeepsTheKeyAndTheNodeId() throws Exception {
    assertThat(agent.register(server, "echo")).isZero();
    byte[] keyBefore = Files.readAllBytes(agent.configDir().resolve("node_key.pem"));
    String nodeBefore = new ObjectMapper().readTree(agent.configDir().resolve("node.json").toFile()).path("node_id").asText();

    assertThat(agent.register(server, "echo,cpu_benchmark")).isZero();

    assertThat(Files.readAllBytes(agent.configDir().resolve("node_key.pem"))).isEqualTo(keyBefore);
    JsonNode identity = new ObjectMapper().readTree(agent.configDir().resolve("node.json").toFile());
    assertThat(identity.path("node_id").asText()).isEqualTo(nodeBefore);
    assertThat(server.nodes()).hasSize(1);
    FakeControlPlane.FakeNode node = server.nodes().get(0);
    assertThat(node.registrations.get()).isEqualTo(2);
    assertThat(node.proofsVerified.get()).isEqualTo(2);
    assertThat(node.capabilities).containsExactly("echo", "cpu_benchmark");
    assertThat(agent.out()).contains("re-registered node " + nodeBefore);
  }

  @Test
  void operatorTokenLinksTheNodeAndIsNeverStored() throws Exception {
    int exit = agent.execute("register", "--server", server.url(), "--name", "op-node", "--capabilities", "echo",
        "--operator-token", "operator-access-token");

    assertThat(exit).as(agent.err()).isZero();
    assertThat(server.nodes().get(0).operatorBearer).isEqualTo("Bearer operator-access-token");
    try (Stream<Path> files = Files.walk(agent.configDir())) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(file)).as(file.toString()).doesNotContain("operator-access-token");
      }
    }
  }

  @Test
  void anInvalidOperatorTokenFailsClearlyAndWritesNoIdentity() {
    int exit = agent.execute("register", "--server", server.url(), "--name", "op-node", "--capabilities", "echo",
        "--operator-token", "expired-token");

    assertThat(exit).isEqualTo(AgentMain.FAILED);
    assertThat(agent.err()).contains("TOKEN_INVALID").contains("--operator-token is invalid or expired");
    assertThat(agent.configDir().resolve("node.json")).doesNotExist();
  }

  @Test
  void capabilitiesThisMachineCannotRunAreNotOffered() {
    int exit = agent.register(server, "echo,render,inference");

    assertThat(exit).as(agent.err()).isZero();
    assertThat(server.nodes().get(0).capabilities).containsExactly("echo");
    assertThat(agent.out())
        .contains("not offering 'render': no Blender executable")
        .contains("not offering 'inference': no plugin for it");
  }

  @Test
  void noRunnableCapabilityIsAConfigurationError() {
    int exit = agent.register(server, "render,inference");

    assertThat(exit).isEqualTo(AgentMain.USAGE);
    assertThat(agent.err()).contains("none of the requested capabilities can run on this machine")
        .contains("echo, cpu_benchmark");
    assertThat(server.nodes()).isEmpty();
  }

  @Test
  void anUnreachableServerFailsWithAClearMessage() {
    int exit = agent.execute("register", "--server", "http://127.0.0.1:1", "--name", "n", "--capabilities", "echo");

    assertThat(exit).isEqualTo(AgentMain.FAILED);
    assertThat(agent.err()).contains("cannot reach the server at http://127.0.0.1:1");
  }

  @Test
  void registerWithoutAServerIsAUsageError() {
    assertThat(agent.execute("register", "--name", "n")).isEqualTo(AgentMain.USAGE);
    assertThat(agent.err()).contains("register needs --server URL");
  }

  @Test
  void unknownOptionsAndCommandsAreUsageErrors() {
    assertThat(agent.execute("register", "--serverr", "x")).isEqualTo(AgentMain.USAGE);
    assertThat(agent.err()).contains("unknown option --serverr");
    assertThat(agent.execute("launch")).isEqualTo(AgentMain.USAGE);
    assertThat(agent.err()).contains("unknown command 'launch'");
    assertThat(List.of(agent.execute("help"))).containsExactly(AgentMain.OK);
    assertThat(agent.out()).contains("RT_AGENT_SERVER").contains("register").contains("--drain-grace");
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
