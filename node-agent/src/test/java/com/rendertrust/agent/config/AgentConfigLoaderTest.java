package com.rendertrust.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.agent.cli.CommandLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigLoaderTest {

  @TempDir Path home;

  private AgentConfig load(Map<String, String> env, String... args) {
    return new AgentConfigLoader(CommandLine.parse(args).flags(), env, home, 8).load();
  }

  @Test
  void defaultsSuitAFreshMachine() {
    AgentConfig config = load(Map.of("PATH", ""), "run");

    assertThat(config.configDir()).isEqualTo(home.resolve(".rendertrust/agent"));
    assertThat(config.workDir()).isEqualTo(home.resolve(".rendertrust/agent/work"));
    assertThat(config.server()).isEmpty();
    assertThat(config.capabilities()).isEmpty();
    assertThat(config.slots()).isEqualTo(4);
    assertThat(config.healthPort()).isEqualTo(8081);
    assertThat(config.healthBind()).isEqualTo("127.0.0.1");
    assertThat(config.drainGrace()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.jobTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(config.reconnectInitial()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.reconnectMax()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.blender()).isEmpty();
    assertThat(config.commands()).isEmpty();
    assertThat(config.logLevel()).isEqualTo("INFO");
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsTheConfigFile() throws Exception {
    Path dir = home.resolve("custom");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("agent.json"), """
        {"slots": 3, "health_port": 9001, "drain_grace_seconds": 5, "name": "from-file",
         "capabilities": ["echo", "inference"], "commands": {"inference": ["python3", "infer.py", "{input}", "{output}"]}}
        """);
    Map<String, String> env = Map.of("RT_AGENT_HOME", dir.toString(), "RT_AGENT_SLOTS", "6", "RT_AGENT_HEALTH_PORT", "9002",
        "PATH", "");

    AgentConfig config = load(env, "run", "--slots", "7");

    assertThat(config.configDir()).isEqualTo(dir);
    assertThat(config.slots()).isEqualTo(7);
    assertThat(config.healthPort()).isEqualTo(9002);
    assertThat(config.drainGrace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.name()).contains("from-file");
    assertThat(config.capabilities()).contains(List.of("echo", "inference"));
    assertThat(config.commands()).containsEntry("inference", List.of("python3", "infer.py", "{input}", "{output}"));
  }

  @Test
  void configDirFlagBeatsRtAgentHome() {
    AgentConfig config = load(Map.of("RT_AGENT_HOME", home.resolve("env").toString()), "run", "--config-dir",
        home.resolve("flag").toString());

    assertThat(config.configDir()).isEqualTo(home.resolve("flag"));
  }

  @Test
  void invalidValuesNameTheSettingAndItsSource() throws Exception {
    assertThatThrownBy(() -> load(Map.of("RT_AGENT_SLOTS", "many"), "run"))
        .hasMessage("RT_AGENT_SLOTS must be an integer from 1 to 1024, got 'many'");
    assertThatThrownBy(() -> load(Map.of(), "run", "--health-port", "70000"))
        .hasMessage("--health-port must be an integer from 0 to 65535, got '70000'");
    assertThatThrownBy(() -> load(Map.of(), "run", "--capabilities", "Render!"))
        .hasMessageContaining("'Render!' is not a job type");
    assertThatThrownBy(() -> load(Map.of(), "run", "--log-level", "loud"))
        .hasMessageContaining("must be one of ERROR, WARN, INFO, DEBUG, TRACE");
    assertThatThrownBy(() -> load(Map.of(), "run", "--reconnect-initial-ms", "5000", "--reconnect-max-ms", "100"))
        .hasMessageContaining("must not be below");
    assertThatThrownBy(() -> load(Map.of(), "run", "--slots"))
        .hasMessage("option --slots needs a value");
  }

  @Test
  void theConfigFileRejectsUnknownKeysAndMalformedCommands() throws Exception {
    Path dir = home.resolve(".rendertrust/agent");
    Files.createDirectories(dir);

    Files.writeString(dir.resolve("agent.json"), "{\"slot\": 2}");
    assertThatThrownBy(() -> load(Map.of(), "run")).hasMessageContaining("unknown setting \"slot\"");

    Files.writeString(dir.resolve("agent.json"), "{\"commands\": {\"inference\": \"python3 infer.py {input}\"}}");
    assertThatThrownBy(() -> load(Map.of(), "run"))
        .hasMessageContaining("commands.inference must be a non-empty list of strings (argv, no shell)");

    Files.writeString(dir.resolve("agent.json"), "{not json");
    assertThatThrownBy(() -> load(Map.of(), "run")).hasMessageContaining("is not valid JSON");
  }

  @Test
  void blenderIsFoundOnPathUnlessTurnedOffAndAConfiguredPathMustExist() throws Exception {
    Path bin = Files.createDirectories(home.resolve("bin"));
    Path blender = bin.resolve("blender");
    Files.writeString(blender, "#!/bin/sh\n");
    Files.setPosixFilePermissions(blender, PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = new HashMap<>(Map.of("PATH", "/nonexistent:" + bin));

    assertThat(load(env, "run").blender()).contains(blender);
    env.put("RT_AGENT_BLENDER", "off");
    assertThat(load(env, "run").blender()).isEmpty();
    assertThatThrownBy(() -> load(Map.of(), "run", "--blender", home.resolve("nope/blender").toString()))
        .hasMessageContaining("is not an executable file");
    assertThat(load(Map.of("PATH", ""), "run", "--blender", blender.toString()).blender()).isEqualTo(Optional.of(blender));
  }

  @Test
  void toStringNeverShowsTheOperatorToken() {
    AgentConfig config = load(Map.of("RT_AGENT_OPERATOR_TOKEN", "secret-access-token"), "register");

    assertThat(config.operatorToken()).contains("secret-access-token");
    assertThat(config.toString()).doesNotContain("secret-access-token").contains("operatorToken=***");
  }
}
