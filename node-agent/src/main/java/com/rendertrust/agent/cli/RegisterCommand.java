package com.rendertrust.agent.cli;

import com.google.protobuf.Struct;
import com.rendertrust.agent.config.AgentConfig;
import com.rendertrust.agent.config.ConfigException;
import com.rendertrust.agent.identity.IdentityStore;
import com.rendertrust.agent.identity.NodeIdentity;
import com.rendertrust.agent.identity.NodeKeys;
import com.rendertrust.agent.identity.TokenClaims;
import com.rendertrust.agent.link.Registrar;
import com.rendertrust.agent.link.RegistrationException;
import com.rendertrust.agent.link.ServerAddress;
import com.rendertrust.agent.plugins.PluginRegistry;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintStream;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code register}: key pair (created once, then reused: same key, same node id), RegisterNode
 * with the operator's token if given, ProveNode, and node.json with the id and token (0600).
 */
public final class RegisterCommand {

  private final AgentConfig config;
  private final PluginRegistry plugins;
  private final IdentityStore identities;
  private final NodeKeys keys;
  private final Struct machineMetadata;
  private final String defaultName;
  private final Clock clock;
  private final PrintStream out;

  public RegisterCommand(AgentConfig config, PluginRegistry plugins, IdentityStore identities, NodeKeys keys,
      Struct machineMetadata, String defaultName, Clock clock, PrintStream out) {
    this.config = config;
    this.plugins = plugins;
    this.identities = identities;
    this.keys = keys;
    this.machineMetadata = machineMetadata;
    this.defaultName = defaultName;
    this.clock = clock;
    this.out = out;
  }

  /** @return the process exit code */
  public int execute() throws IOException, RegistrationException {
    Optional<NodeIdentity> previous = identities.load();
    String server = config.server().or(() -> previous.map(NodeIdentity::server))
        .orElseThrow(() -> new ConfigException("register needs --server URL (or RT_AGENT_SERVER), e.g. --server http://localhost:8000"));
    ServerAddress address = ServerAddress.parse(server);
    String name = config.name().or(() -> previous.map(NodeIdentity::name).filter(n -> !n.isBlank())).orElse(defaultName);

    PluginRegistry.CapabilityPlan plan = plugins.plan(config.capabilities());
    plan.unavailable().forEach((type, why) -> out.println("warning: not offering '" + type + "': " + why));
    if (plan.advertised().isEmpty()) {
      throw new ConfigException("none of the requested capabilities can run on this machine; this node could run: "
          + String.join(", ", plugins.jobTypes()));
    }

    boolean existingKey = keys.exist();
    KeyPair pair = keys.loadOrCreate();
    out.println((existingKey ? "using the existing node key " : "created a new node key ") + keys.privateKeyFile()
        + " (" + NodeKeys.fingerprint(pair.getPublic()) + ")");

    ManagedChannel channel = address.openChannel(config.keepAlive());
    Registrar.Registration registration;
    try {
      registration = new Registrar(channel, address.url(), config.rpcTimeout())
          .register(name, pair, plan.advertised(), machineMetadata, config.operatorToken(), true);
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    TokenClaims claims = TokenClaims.of(registration.token());
    Instant registeredAt = previous.filter(p -> p.nodeId().equals(registration.nodeId()))
        .map(NodeIdentity::registeredAt).orElse(clock.instant());
    NodeIdentity identity = new NodeIdentity(registration.nodeId(), address.url(), name, plan.advertised(),
        registration.token(), claims.issuedAt(), claims.expiresAt(), registeredAt, Optional.empty());
    identities.save(identity);

    boolean sameNode = previous.map(p -> p.nodeId().equals(registration.nodeId())).orElse(false);
    out.println((sameNode ? "re-registered node " : "registered node ") + registration.nodeId() + " (\"" + name + "\") with "
        + address.url() + ": key proven, status " + registration.status());
    out.println("offering: " + String.join(", ", plan.advertised()));
    config.operatorToken().ifPresent(token -> out.println("linked to the operator account of the given access token"));
    out.println("node id and token saved in " + identities.file() + " (mode 0600)");
    out.println("next: start the agent with `run`");
    return 0;
  }

}
