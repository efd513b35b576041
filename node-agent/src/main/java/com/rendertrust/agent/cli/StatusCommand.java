package com.rendertrust.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rendertrust.agent.config.AgentConfig;
import com.rendertrust.agent.identity.IdentityStore;
import com.rendertrust.agent.identity.NodeIdentity;
import com.rendertrust.agent.identity.NodeKeys;
import com.rendertrust.agent.identity.SecureFiles;
import com.rendertrust.agent.run.RunFile;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code status}: the stored identity (node id, server, key fingerprint and file mode, token
 * expiry) and, when an agent runs with this config dir, its live state read from its local
 * endpoint (connection, running jobs). Exit 0 when registered, 1 when not.
 */
public final class StatusCommand {

  private final AgentConfig config;
  private final IdentityStore identities;
  private final NodeKeys keys;
  private final HttpClient http;
  private final PrintStream out;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public StatusCommand(AgentConfig config, IdentityStore identities, NodeKeys keys, HttpClient http, PrintStream out) {
    this.config = config;
    this.identities = identities;
    this.keys = keys;
    this.http = http;
    this.out = out;
  }

  public int execute(boolean asJson) throws IOException {
    ObjectNode report = json.createObjectNode();
    report.put("config_dir", config.configDir().toString());
    Optional<NodeIdentity> identity = identities.load();
    report.put("registered", identity.isPresent());
    identity.ifPresent(id -> {
      report.put("node_id", id.nodeId());
      report.put("name", id.name());
      report.put("server", id.server());
      report.set("capabilities", json.valueToTree(id.capabilities()));
      report.put("token_expires_at", id.tokenExpiresAt().map(Object::toString).orElse(null));
    });
    if (keys.exist()) {
      try {
        report.put("key_fingerprint", NodeKeys.fingerprint(keys.load().getPublic()));
      } catch (IOException e) {
        report.put("key_problem", e.getMessage());
      }
      SecureFiles.permissions(keys.privateKeyFile())
          .ifPresent(mode -> report.put("key_file_mode", PosixFilePermissions.toString(mode)));
    }
    report.set("agent", liveState());

    if (asJson) {
      out.println(json.writeValueAsString(report));
    } else {
      printHuman(report);
    }
    return identity.isPresent() ? 0 : 1;
  }

  private ObjectNode liveState() {
    ObjectNode agent = json.createObjectNode();
    Optional<RunFile.RunInfo> run = RunFile.read(config.configDir());
    if (run.isEmpty()) {
      agent.put("running", false);
      return agent;
    }
    String host = run.get().healthHost().equals("0.0.0.0") ? "127.0.0.1" : run.get().healthHost();
    URI uri = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + run.get().healthPort() + "/status");
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      JsonNode body = json.readTree(response.body());
      agent.put("running", true);
      agent.put("pid", run.get().pid());
      agent.set("state", body);
    } catch (IOException e) {
      agent.put("running", false);
      agent.put("note", "run.json names pid " + run.get().pid() + " but its endpoint does not answer (not running?)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      agent.put("running", false);
    }
    return agent;
  }

  private void printHuman(ObjectNode report) {
    out.println("config dir:   " + report.path("config_dir").asText());
    if (!report.path("registered").asBoolean()) {
      out.println("identity:     not registered (run `register --server URL --name NAME`)");
    } else {
      out.println("node:         " + report.path("node_id").asText() + " (\"" + report.path("name").asText() + "\")");
      out.println("server:       " + report.path("server").asText());
      out.println("capabilities: " + String.join(", ", json.convertValue(report.path("capabilities"), String[].class)));
      out.println("token until:  " + report.path("token_expires_at").asText("unknown"));
    }
    if (report.has("key_fingerprint")) {
      out.println("key:          " + report.path("key_fingerprint").asText()
          + (report.has("key_file_mode") ? " (" + keys.privateKeyFile() + ", " + report.path("key_file_mode").asText() + ")" : ""));
      if (report.has("key_file_mode") && !report.path("key_file_mode").asText().equals("rw-------")) {
        out.println("warning:      the private key is readable by others: chmod 600 " + keys.privateKeyFile());
      }
    } else if (report.has("key_problem")) {
      out.println("key:          " + report.path("key_problem").asText());
    }
    JsonNode agent = report.path("agent");
    if (!agent.path("running").asBoolean()) {
      out.println("agent:        not running" + (agent.has("note") ? " (" + agent.path("note").asText() + ")" : ""));
      return;
    }
    JsonNode state = agent.path("state");
    JsonNode connection = state.path("connection");
    out.println("agent:        running, pid " + agent.path("pid").asLong() + ", up " + state.path("uptime_seconds").asText()
        + " s, " + state.path("status").asText());
    out.println("connection:   " + connection.path("state").asText()
        + (connection.path("connected_since").isTextual() ? " since " + connection.path("connected_since").asText() : "")
        + (connection.path("last_error").isTextual() && !state.path("relay_connected").asBoolean()
            ? " (last error: " + connection.path("last_error").asText() + ")" : ""));
    out.println("jobs:         " + state.path("running_jobs").asInt() + " running of " + state.path("slots").asInt() + " slot(s)");
    for (JsonNode job : state.path("jobs")) {
      out.println("  " + job.path("job_id").asText()
          + (job.path("task_id").isTextual() ? " task " + job.path("task_id").asText() : "")
          + "  " + job.path("job_type").asText() + "  " + job.path("state").asText()
          + (job.path("running_seconds").isNumber() ? "  " + job.path("running_seconds").asLong() + " s" : ""));
    }
  }

}
