package com.rendertrust.agent.config;

import java.util.Arrays;
import java.util.Optional;

/**
 * Every operator setting of the agent, with its three spellings. A value is taken from the first
 * source that has it: command-line flag, then environment variable, then the config file
 * {@code agent.json} in the config dir, then the default. One table so the help text, docs/operators.md
 * and the unknown-key check cannot drift apart.
 */
public enum Setting {
  CONFIG_DIR("config-dir", "RT_AGENT_HOME", null, "~/.rendertrust/agent",
      "directory holding the key, node.json, agent.json and the work dir"),
  SERVER("server", "RT_AGENT_SERVER", "server", "the server from node.json",
      "control plane URL (gRPC h2c and REST on one port), e.g. http://localhost:8000"),
  NAME("name", "RT_AGENT_NAME", "name", "the host name", "node name shown to the network"),
  CAPABILITIES("capabilities", "RT_AGENT_CAPABILITIES", "capabilities",
      "every job type this machine can run", "comma-separated job types to offer, e.g. render,inference"),
  OPERATOR_TOKEN("operator-token", "RT_AGENT_OPERATOR_TOKEN", null, "none",
      "your access token at register time: links the node and its earnings to your account (never stored)"),
  SLOTS("slots", "RT_AGENT_SLOTS", "slots", "half the CPU cores (at least 1)", "jobs run in parallel"),
  HEALTH_PORT("health-port", "RT_AGENT_HEALTH_PORT", "health_port", "8081",
      "port of the local health endpoint (0 = any free port)"),
  HEALTH_BIND("health-bind", "RT_AGENT_HEALTH_BIND", "health_bind", "127.0.0.1",
      "address the health endpoint listens on (0.0.0.0 for container/Kubernetes probes)"),
  DRAIN_GRACE("drain-grace", "RT_AGENT_DRAIN_GRACE_SECONDS", "drain_grace_seconds", "60",
      "on SIGTERM: seconds running jobs may take to finish before they are stopped"),
  JOB_TIMEOUT("job-timeout", "RT_AGENT_JOB_TIMEOUT_SECONDS", "job_timeout_seconds", "3600",
      "longest any job may run here, whatever the server allows"),
  WORK_DIR("work-dir", "RT_AGENT_WORK_DIR", "work_dir", "<config dir>/work",
      "where each job gets its own working directory"),
  KEEP_WORK_DIRS("keep-work-dirs", "RT_AGENT_KEEP_WORK_DIRS", "keep_work_dirs", "false",
      "keep job working directories after the job (debugging)"),
  ALLOW_PRIVATE_INPUTS("allow-private-inputs", "RT_AGENT_ALLOW_PRIVATE_INPUTS", "allow_private_inputs", "false",
      "download payload_ref URLs on loopback, private and link-local addresses too (lab setups only)"),
  BLENDER("blender", "RT_AGENT_BLENDER", "blender", "`blender` on PATH",
      "Blender executable for render jobs; `off` disables render"),
  LOG_LEVEL("log-level", "RT_AGENT_LOG_LEVEL", "log_level", "INFO", "ERROR, WARN, INFO, DEBUG or TRACE"),
  RECONNECT_INITIAL("reconnect-initial-ms", "RT_AGENT_RECONNECT_INITIAL_MS", "reconnect_initial_ms", "1000",
      "first reconnect delay; doubles per failed attempt"),
  RECONNECT_MAX("reconnect-max-ms", "RT_AGENT_RECONNECT_MAX_MS", "reconnect_max_ms", "30000",
      "longest reconnect delay"),
  KEEPALIVE("keepalive-seconds", "RT_AGENT_KEEPALIVE_SECONDS", "keepalive_seconds", "60",
      "HTTP/2 ping interval that detects a dead link (0 = off)"),
  RPC_TIMEOUT("rpc-timeout-seconds", "RT_AGENT_RPC_TIMEOUT_SECONDS", "rpc_timeout_seconds", "30",
      "deadline of register/verify calls and of waiting for the stream's Welcome"),
  COMMANDS(null, null, "commands", "none",
      "job type -> argv template with {input} {output} {work_dir} {job_id} {payload_ref}; never run through a shell");

  private final String flag;
  private final String env;
  private final String fileKey;
  private final String defaultText;
  private final String meaning;

  Setting(String flag, String env, String fileKey, String defaultText, String meaning) {
    this.flag = flag;
    this.env = env;
    this.fileKey = fileKey;
    this.defaultText = defaultText;
    this.meaning = meaning;
  }

  public Optional<String> flag() {
    return Optional.ofNullable(flag);
  }

  public Optional<String> env() {
    return Optional.ofNullable(env);
  }

  public Optional<String> fileKey() {
    return Optional.ofNullable(fileKey);
  }

  public String defaultText() {
    return defaultText;
  }

  public String meaning() {
    return meaning;
  }

  public static Optional<Setting> byFlag(String flag) {
    return Arrays.stream(values()).filter(s -> flag.equals(s.flag)).findFirst();
  }

  public static Optional<Setting> byFileKey(String key) {
    return Arrays.stream(values()).filter(s -> key.equals(s.fileKey)).findFirst();
  }
}
