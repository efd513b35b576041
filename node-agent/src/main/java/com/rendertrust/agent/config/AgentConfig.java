package com.rendertrust.agent.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the agent needs, read once at startup from flags, {@code RT_AGENT_*} variables and
 * {@code agent.json} (see {@link Setting} for the precedence and defaults). Immutable; the one
 * input of the composition root.
 *
 * @param server the control plane URL, if configured (else {@code run} uses the one in node.json)
 * @param capabilities the job types the operator wants to offer; empty = everything available
 * @param blender the Blender executable, already resolved against PATH; empty = render is off
 * @param commands operator command templates: job type -> argv with placeholders
 * @param allowPrivateInputs download {@code payload_ref} URLs on private addresses too (lab setups)
 */
public record AgentConfig(
    Path configDir,
    Optional<String> server,
    Optional<String> name,
    Optional<List<String>> capabilities,
    Optional<String> operatorToken,
    int slots,
    String healthBind,
    int healthPort,
    Duration drainGrace,
    Duration jobTimeout,
    Path workDir,
    boolean keepWorkDirs,
    Optional<Path> blender,
    Map<String, List<String>> commands,
    String logLevel,
    Duration reconnectInitial,
    Duration reconnectMax,
    Duration keepAlive,
    Duration rpcTimeout,
    boolean allowPrivateInputs) {

  public AgentConfig {
    Objects.requireNonNull(configDir, "configDir");
    Objects.requireNonNull(workDir, "workDir");
    capabilities = capabilities.map(List::copyOf);
    commands = Map.copyOf(commands);
    if (slots < 1) {
      throw new IllegalArgumentException("slots must be >= 1");
    }
    if (healthPort < 0 || healthPort > 65535) {
      throw new IllegalArgumentException("health port must be 0..65535");
    }
    if (reconnectInitial.isNegative() || reconnectInitial.isZero() || reconnectMax.compareTo(reconnectInitial) < 0) {
      throw new IllegalArgumentException("reconnect delays must satisfy 0 < initial <= max");
    }
  }

  /** A copy with another health port (tests run agents on port 0). */
  public AgentConfig withHealthPort(int port) {
    return new AgentConfig(configDir, server, name, capabilities, operatorToken, slots, healthBind, port,
        drainGrace, jobTimeout, workDir, keepWorkDirs, blender, commands, logLevel, reconnectInitial,
        reconnectMax, keepAlive, rpcTimeout, allowPrivateInputs);
  }

  /** Never prints the operator token: the config is logged at startup. */
  @Override
  public String toString() {
    return "AgentConfig[configDir=" + configDir + ", server=" + server.orElse("<from node.json>")
        + ", name=" + name.orElse("<host name>") + ", capabilities=" + capabilities.map(Object::toString).orElse("<all available>")
        + ", operatorToken=" + (operatorToken.isPresent() ? "***" : "<none>") + ", slots=" + slots
        + ", health=" + healthBind + ":" + healthPort + ", drainGrace=" + drainGrace + ", jobTimeout=" + jobTimeout
        + ", workDir=" + workDir + ", keepWorkDirs=" + keepWorkDirs + ", blender=" + blender.map(Path::toString).orElse("<off>")
        + ", commands=" + commands.keySet() + ", logLevel=" + logLevel + ", reconnect=" + reconnectInitial + ".." + reconnectMax
        + ", keepAlive=" + keepAlive + ", rpcTimeout=" + rpcTimeout + ", allowPrivateInputs=" + allowPrivateInputs + "]";
  }
}
