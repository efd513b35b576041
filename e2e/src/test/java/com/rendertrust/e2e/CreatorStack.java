package com.rendertrust.e2e;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * What the SDK and web app tests run against, each in a process of its own: {@code ServerMain
 * --dev} with Stripe played by a stand-in at {@code stripeBaseUrl}, purchases sealed and anchored
 * within seconds (so that their proofs can be checked), room for every test to register accounts
 * of its own from one address; and one node agent, registered by an operator account of its own,
 * offering echo, cpu_benchmark, render (the real Blender) and {@link AgentProcess#SLEEP_JOB} on one
 * slot: while a sleeping job runs, the next waits in the queue, to be cancelled there.
 */
final class CreatorStack {

  static final List<String> JOB_TYPES = List.of("echo", "cpu_benchmark", "render", AgentProcess.SLEEP_JOB);
  static final String OPERATOR_PASSWORD = "correct horse battery";

  final ServerProcess server;
  final AgentProcess agent;
  final String operatorEmail;

  private CreatorStack(ServerProcess server, AgentProcess agent, String operatorEmail) {
    this.server = server;
    this.agent = agent;
    this.operatorEmail = operatorEmail;
  }

  /**
   * Starts the server (with {@code extraEnvironment} of its base URL on top of the stack's
   * settings), registers the operator and starts the agent named {@code name}. The processes
   * belong to {@code processes}, which stops them.
   */
  static CreatorStack start(E2eSettings settings, Processes processes, Path runDir, String name, URI stripeBaseUrl,
      String webhookSecret, Function<URI, Map<String, String>> extraEnvironment) throws Exception {
    ServerProcess server = new ServerProcess(settings, processes, runDir.resolve("data"), runDir.resolve("server.log"),
        base -> {
          Map<String, String> environment = new HashMap<>(Map.of(
              "RT_STRIPE_SECRET_KEY", "sk_test_e2e",
              "RT_STRIPE_API_BASE", stripeBaseUrl.toString(),
              "RT_STRIPE_WEBHOOK_SECRET", webhookSecret,
              "RT_RATE_LIMIT_REGISTER_PER_MINUTE", "60",
              "RT_RATE_LIMIT_LOGIN_PER_MINUTE", "30",
              "RT_ANCHOR_INTERVAL", "1",
              "RT_ANCHOR_CONFIRMATIONS", "1",
              "RT_ANCHOR_POLL_MS", "500"));
          environment.putAll(extraEnvironment.apply(base));
          return environment;
        });
    server.start();
    String operatorEmail = name + "-operator-" + UUID.randomUUID().toString().substring(0, 8) + "@e2e.example.com";
    String operatorToken = new Rest(server.baseUrl()).post("/api/v1/auth/register", null, Map.of(
            "email", operatorEmail, "name", "E2E operator", "password", OPERATOR_PASSWORD))
        .expect(201, "register operator").path("tokens").path("access_token").asText();
    AgentProcess agent = new AgentProcess(settings, processes, name + "-node", runDir.resolve(name + "-node"),
        runDir.resolve(name + "-node.log"));
    agent.configureWithSleepJob(1);
    agent.environment(Map.of("RT_AGENT_BLENDER", "blender"));
    agent.register(server.baseUrl(), JOB_TYPES, operatorToken);
    agent.run();
    return new CreatorStack(server, agent, operatorEmail);
  }

  /** Stops what a test started, in order, skipping what never started: the agent, every process, Stripe. */
  static void stop(AgentProcess agent, Processes processes, AutoCloseable stripe) throws Exception {
    if (agent != null) {
      agent.stop();
    }
    if (processes != null) {
      processes.close();
    }
    if (stripe != null) {
      stripe.close();
    }
  }
}
